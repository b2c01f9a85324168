package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// createRequest is the body of POST /sandbox/payments.
type createRequest struct {
	TransactionID string   `json:"transaction_id"`
	Amount        string   `json:"amount"`
	Currency      string   `json:"currency"`
	NotifyURL     string   `json:"notify_url"`
	Scenario      Scenario `json:"scenario"`
}

// errorBody is the answer of a failed /sandbox/ request.
type errorBody struct {
	Error string `json:"error"`
}

// handleCreate serves POST /sandbox/payments: it registers a payment and
// answers 201 {"checkout_id": "..."}. amount may be a JSON string or number.
func (p *PayUnit) handleCreate(w http.ResponseWriter, r *http.Request) {
	var raw struct {
		createRequest
		Amount json.RawMessage `json:"amount"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	if err := dec.Decode(&raw); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{"invalid JSON body"})
		return
	}
	req := raw.createRequest
	req.Amount = amountText(raw.Amount)
	switch {
	case req.TransactionID == "":
		writeJSON(w, http.StatusBadRequest, errorBody{"transaction_id is required"})
		return
	case !ValidAmount(req.Amount):
		writeJSON(w, http.StatusBadRequest, errorBody{`amount must be a decimal such as "10" or "10.50"`})
		return
	case req.Scenario != "" && !req.Scenario.Valid():
		writeJSON(w, http.StatusBadRequest, errorBody{"scenario must be pays, pays_lost, fails, cancelled or never"})
		return
	}
	if req.Currency == "" {
		req.Currency = "XAF"
	}
	checkoutID := p.Create(Payment{TransactionID: req.TransactionID, Amount: req.Amount, Currency: req.Currency,
		NotifyURL: req.NotifyURL, Scenario: req.Scenario})
	writeJSON(w, http.StatusCreated, map[string]string{"checkout_id": checkoutID})
}

// amountText returns the decimal text of a JSON string or number.
func amountText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// handleResolve serves POST /sandbox/payments/{checkout_id}/resolve: it runs
// Resolve and answers 200 with the payment's status, plus callback_error
// when the callback could not be delivered.
func (p *PayUnit) handleResolve(w http.ResponseWriter, r *http.Request) {
	checkoutID := r.PathValue("checkout_id")
	err := p.Resolve(r.Context(), checkoutID)
	if errors.Is(err, ErrNotFound) {
		writeJSON(w, http.StatusNotFound, errorBody{"checkout not found"})
		return
	}
	resp := struct {
		CheckoutID    string `json:"checkout_id"`
		Status        string `json:"status"`
		CallbackError string `json:"callback_error,omitempty"`
	}{CheckoutID: checkoutID, Status: p.status(checkoutID)}
	if err != nil {
		resp.CallbackError = err.Error() // the sandbox operator needs the cause
	}
	writeJSON(w, http.StatusOK, resp)
}

// status returns the payment's current status, or "" if it is unknown.
func (p *PayUnit) status(checkoutID string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pay, ok := p.payments[checkoutID]; ok {
		return pay.status
	}
	return ""
}
