package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// InitializeRequest is one request to POST /api/gateway/initialize as the
// sandbox received it (after its checks passed).
type InitializeRequest struct {
	// TotalAmount is the decimal text of the JSON number total_amount.
	TotalAmount    string
	Currency       string
	TransactionID  string
	NotifyURL      string
	ReturnURL      string
	Description    string
	PaymentCountry string
	PayWith        string
}

// initializeBody is the JSON body of an initialize request.
type initializeBody struct {
	TotalAmount    json.RawMessage `json:"total_amount"`
	Currency       string          `json:"currency"`
	TransactionID  string          `json:"transaction_id"`
	NotifyURL      string          `json:"notify_url"`
	ReturnURL      string          `json:"return_url"`
	Description    string          `json:"description"`
	PaymentCountry string          `json:"payment_country"`
	PayWith        string          `json:"pay_with"`
}

// initializeResponse is the envelope of an initialize answer.
type initializeResponse struct {
	Status     string          `json:"status"`
	StatusCode int             `json:"statusCode"`
	Message    string          `json:"message"`
	Data       *initializeData `json:"data,omitempty"`
}

// initializeData is data of a successful initialize answer: the merchant's
// transaction id, the hosted page the buyer is sent to, and PayUnit's id of
// the payment (t_id and checkout_id, which the status API knows).
type initializeData struct {
	TID            string `json:"t_id"`
	TransactionID  string `json:"transaction_id"`
	TransactionURL string `json:"transaction_url"`
	CheckoutID     string `json:"checkout_id"`
}

// payPath is the path of a payment's hosted page (its transaction_url).
func payPath(checkoutID string) string { return "/sandbox/payments/" + checkoutID + "/pay" }

// handleInitialize serves POST /api/gateway/initialize: with the account's
// credentials (as the status API checks them) and a valid body it creates
// a pending payment whose hosted page is data.transaction_url; the buyer
// ends it there. Bad credentials answer 401, a bad body 400, both with
// statusCode and message in the body. The same transaction_id again, while
// its payment is pending with the same amount, currency and URLs, answers
// the same payment; otherwise a used transaction_id is a 400. Faults set
// with SetInitializeFaults replace or spoil the answer.
func (p *PayUnit) handleInitialize(w http.ResponseWriter, r *http.Request) {
	if d := p.countInitialize(); d > 0 && !wait(r, d) {
		return
	}
	if !p.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, initializeResponse{
			Status: StatusFailed, StatusCode: http.StatusUnauthorized, Message: "Unauthorized: invalid API credentials",
		})
		return
	}
	f := p.rollInitializeFaults()
	if f.kind != FaultTimeout && writeFault(w, r, f) { // in front of PayUnit: nothing is created
		return
	}
	req, msg := readInitialize(r)
	if msg != "" {
		writeJSON(w, http.StatusBadRequest, initializeResponse{Status: StatusFailed, StatusCode: http.StatusBadRequest, Message: msg})
		return
	}
	checkoutID, ok := p.initialize(req)
	if !ok {
		writeJSON(w, http.StatusBadRequest, initializeResponse{Status: StatusFailed, StatusCode: http.StatusBadRequest,
			Message: "transaction_id " + req.TransactionID + " is already used"})
		return
	}
	body, err := json.Marshal(initializeResponse{
		Status: StatusSuccess, StatusCode: http.StatusOK, Message: "Transaction created!",
		Data: &initializeData{TID: checkoutID, TransactionID: req.TransactionID,
			TransactionURL: p.pageBase(r) + payPath(checkoutID), CheckoutID: checkoutID},
	})
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	switch f.kind { // PayUnit created the payment; its answer is lost or spoilt
	case FaultTimeout:
		writeFault(w, r, f)
		return
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

// readInitialize decodes and checks an initialize body; msg says what is
// wrong with it, or is "".
func readInitialize(r *http.Request) (req InitializeRequest, msg string) {
	var b initializeBody
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&b); err != nil {
		return req, "The request body must be a JSON object"
	}
	amount := string(bytes.TrimSpace(b.TotalAmount))
	switch {
	case len(amount) == 0 || amount == "null":
		return req, "total_amount is required"
	case !ValidAmount(amount):
		return req, "total_amount must be a positive number"
	case strings.Trim(amount, "0.") == "":
		return req, "total_amount must be a positive number"
	case b.Currency == "":
		return req, "currency is required"
	case b.TransactionID == "":
		return req, "transaction_id is required"
	case b.ReturnURL == "":
		return req, "return_url is required"
	case !webURL(b.ReturnURL):
		return req, "return_url must be an http(s) URL"
	case b.NotifyURL != "" && !webURL(b.NotifyURL):
		return req, "notify_url must be an http(s) URL"
	}
	return InitializeRequest{TotalAmount: amount, Currency: b.Currency, TransactionID: b.TransactionID,
		NotifyURL: b.NotifyURL, ReturnURL: b.ReturnURL, Description: b.Description,
		PaymentCountry: b.PaymentCountry, PayWith: b.PayWith}, ""
}

// webURL reports whether s is an absolute http or https URL without spaces.
func webURL(s string) bool {
	return (strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")) && !strings.ContainsAny(s, " \t\r\n")
}

// initialize records req and returns the id of its payment: a new pending
// one, or the pending one already started with the same fields. It returns
// false when the transaction id is used by a different or ended payment.
func (p *PayUnit) initialize(req InitializeRequest) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if checkoutID, ok := p.byTxn[req.TransactionID]; ok {
		pay := p.payments[checkoutID]
		same := pay.status == StatusPending && pay.Amount == req.TotalAmount && pay.Currency == req.Currency &&
			pay.NotifyURL == req.NotifyURL && pay.ReturnURL == req.ReturnURL
		if same {
			p.inits = append(p.inits, req)
		}
		return checkoutID, same
	}
	p.inits = append(p.inits, req)
	return p.create(Payment{TransactionID: req.TransactionID, Amount: req.TotalAmount, Currency: req.Currency,
		NotifyURL: req.NotifyURL, ReturnURL: req.ReturnURL, Description: req.Description}), true
}

// countInitialize records a request to the initialize endpoint and
// returns the delay to sleep before answering it.
func (p *PayUnit) countInitialize() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initCalls++
	return p.initFaults.Delay
}

// pageBase is the scheme and host of the hosted pages: PageURL, else the
// host the request came to.
func (p *PayUnit) pageBase(r *http.Request) string {
	if p.cfg.PageURL != "" {
		return strings.TrimRight(p.cfg.PageURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// Initializations returns the initialize requests that started or repeated
// a payment, oldest first.
func (p *PayUnit) Initializations() []InitializeRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.inits)
}

// InitializeCalls returns how many requests reached the initialize
// endpoint, refused ones included.
func (p *PayUnit) InitializeCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.initCalls
}
