package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// pendingMessage is the transaction message PayUnit shows while a mobile
// money payment waits for the payer's PIN.
const pendingMessage = "If you have not yet received an alert, please dial #150*50# and enter your PIN to confirm the payment "

// statusResponse is the envelope of every status API answer.
type statusResponse struct {
	Status     string        `json:"status"`
	StatusCode int           `json:"statusCode"`
	Message    string        `json:"message"`
	Data       *checkoutData `json:"data,omitempty"`
}

// checkoutData is the data object of a status answer, in the seed's field order.
type checkoutData struct {
	ID                      int             `json:"id"`
	CheckoutID              string          `json:"checkout_id"`
	TransactionID           string          `json:"transaction_id"`
	Mode                    string          `json:"mode"`
	CheckoutMode            string          `json:"checkout_mode"`
	Status                  string          `json:"status"`
	PhoneNumberCollection   bool            `json:"phone_number_collection"`
	AddressCollection       bool            `json:"address_collection"`
	NotifyURL               string          `json:"notify_url"`
	CheckoutCardRedirectURL string          `json:"checkout_card_redirect_url"`
	CancelURL               string          `json:"cancel_url"`
	SuccessURL              string          `json:"success_url"`
	TotalAmount             json.Number     `json:"total_amount"`
	Currency                string          `json:"currency"`
	UpdatedAt               string          `json:"updated_at"`
	Transaction             transactionData `json:"transaction"`
}

// transactionData is data.transaction of a status answer.
type transactionData struct {
	ID             int         `json:"id"`
	TransactionID  string      `json:"transaction_id"`
	CardPaymentURL *string     `json:"card_payment_url"`
	Amount         json.Number `json:"amount"`
	Currency       string      `json:"currency"`
	Mode           string      `json:"mode"`
	Username       string      `json:"username"`
	Message        string      `json:"message"`
	Status         string      `json:"status"`
	UpdatedAt      string      `json:"updated_at"`
	CreatedAt      string      `json:"created_at"`
	DeletedAt      *string     `json:"deleted_at"`
}

// handleStatus serves GET /api/gateway/checkout/status/{id}, where id is a
// checkout id or a merchant transaction id.
func (p *PayUnit) handleStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p.countCheck(id)
	if !p.delay(r) {
		return
	}
	if !p.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, statusResponse{
			Status: StatusFailed, StatusCode: http.StatusUnauthorized, Message: "Unauthorized: invalid API credentials",
		})
		return
	}
	f := p.rollFaults()
	if writeFault(w, r, f) {
		return
	}
	data, ok := p.checkoutData(id)
	if !ok {
		writeJSON(w, http.StatusNotFound, statusResponse{
			Status: StatusFailed, StatusCode: http.StatusNotFound, Message: "Checkout not found",
		})
		return
	}
	body, err := json.Marshal(statusResponse{
		Status: StatusSuccess, StatusCode: http.StatusOK, Message: "Checkout Payment Details", Data: &data,
	})
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	switch f.kind {
	case FaultMalformed:
		body = body[:len(body)/2]
	case FaultSlowBody:
		writeSlowly(w, r, body, f.pause)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// countCheck records a status request naming id.
func (p *PayUnit) countCheck(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total++
	if pay := p.lookup(id); pay != nil {
		pay.checks++
	}
}

// authorized reports whether r carries the configured x-api-key, mode and
// Basic credentials.
func (p *PayUnit) authorized(r *http.Request) bool {
	user, password, ok := r.BasicAuth()
	return ok &&
		equal(r.Header.Get("x-api-key"), p.cfg.APIKey) &&
		equal(r.Header.Get("mode"), p.cfg.Mode) &&
		equal(user, p.cfg.APIUser) &&
		equal(password, p.cfg.APIPassword)
}

// equal compares secrets in constant time.
func equal(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// checkoutData renders the payment named by id, by checkout or transaction id.
func (p *PayUnit) checkoutData(id string) (checkoutData, bool) {
	checkoutMode := "TEST"
	if strings.EqualFold(p.cfg.Mode, "live") {
		checkoutMode = "LIVE"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pay := p.lookup(id)
	if pay == nil {
		return checkoutData{}, false
	}
	message := pendingMessage
	switch pay.status {
	case StatusSuccess:
		message = "Payment successful"
	case StatusFailed:
		message = "Payment failed"
	case StatusCancelled:
		message = "Payment cancelled"
	}
	return checkoutData{
		ID:                      pay.id,
		CheckoutID:              pay.checkoutID,
		TransactionID:           pay.TransactionID,
		Mode:                    "payment",
		CheckoutMode:            checkoutMode,
		Status:                  pay.status,
		PhoneNumberCollection:   true,
		AddressCollection:       true,
		NotifyURL:               pay.NotifyURL,
		CheckoutCardRedirectURL: "http://payunit-sandbox.invalid/check-status",
		TotalAmount:             json.Number(pay.Amount),
		Currency:                pay.Currency,
		UpdatedAt:               timestamp(pay.updated),
		Transaction: transactionData{
			ID:            pay.txnID,
			TransactionID: pay.TransactionID,
			Amount:        json.Number(pay.Amount),
			Currency:      pay.Currency,
			Mode:          "payment",
			Username:      p.cfg.APIUser,
			Message:       message,
			Status:        pay.status,
			UpdatedAt:     timestamp(pay.updated),
			CreatedAt:     timestamp(pay.created),
		},
	}, true
}

// timestamp formats t as PayUnit does: UTC with milliseconds.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// writeJSON writes v as a JSON answer with the given status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
