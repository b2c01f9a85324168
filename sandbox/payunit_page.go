package sandbox

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
)

// payChoice is one button of the hosted pay page.
type payChoice struct {
	Scenario Scenario
	ID       string // the button's id
	Label    string
	Hint     string
}

// payChoices are what a buyer can do on the hosted pay page, in order.
var payChoices = []payChoice{
	{ScenarioPays, "pay", "Pay", "PayUnit marks the payment successful and posts its callback."},
	{ScenarioFails, "fail", "Fail the payment", "PayUnit marks the payment failed and posts its callback."},
	{ScenarioCancelled, "cancel", "Cancel", "The buyer gives up: PayUnit marks the payment cancelled and posts its callback."},
	{ScenarioPaysLost, "pay-lost", "Pay, but lose the callback", "PayUnit marks the payment successful and never posts the callback: only a status check finds it."},
}

// payPageView is what the hosted pay page templates render.
type payPageView struct {
	CheckoutID, TransactionID string
	Amount, Currency          string
	Description               string
	Status                    string
	ReturnURL                 string
	Choices                   []payChoice
	CallbackError             string
}

var payPageTemplates = template.Must(template.New("pay").Parse(`{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · PayUnit sandbox</title>
<style>
body{font:1.05rem/1.5 system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#111;background:#fff}
fieldset{border:1px solid #888;border-radius:.4rem;padding:.5rem 1rem}
.choice{margin:.6rem 0}
.choice small{display:block;color:#333}
button{font:inherit;padding:.7rem 1.2rem;border-radius:.4rem;border:2px solid #111;background:#fff;color:#111;cursor:pointer}
#pay{background:#0a5c2f;color:#fff;border-color:#0a5c2f}
button:focus-visible,a:focus-visible{outline:3px solid #1a4fd6;outline-offset:2px}
</style></head><body><main>{{end}}
{{define "page"}}{{template "head" "Pay"}}
<h1>PayUnit sandbox checkout</h1>
<dl>
<dt>Amount</dt><dd id="amount">{{.Amount}} {{.Currency}}</dd>
{{if .Description}}<dt>For</dt><dd id="description">{{.Description}}</dd>{{end}}
<dt>Transaction</dt><dd><code>{{.TransactionID}}</code></dd>
<dt>Checkout</dt><dd><code>{{.CheckoutID}}</code> is <span id="status">{{.Status}}</span></dd>
</dl>
{{if eq .Status "PENDING"}}
<form method="post" action="/sandbox/payments/{{.CheckoutID}}/pay">
<fieldset><legend>You are the buyer: how does this payment end?</legend>
{{range .Choices}}<div class="choice">
<button type="submit" id="{{.ID}}" name="choice" value="{{.Scenario}}" aria-describedby="{{.ID}}-hint">{{.Label}}</button>
<small id="{{.ID}}-hint">{{.Hint}}</small>
</div>
{{end}}</fieldset></form>
{{else}}<p role="status">This payment is over.</p>
{{if .ReturnURL}}<p><a id="back" href="{{.ReturnURL}}">Back to the shop</a></p>{{end}}
{{end}}
</main></body></html>
{{end}}
{{define "done"}}{{template "head" "Payment ended"}}
<h1>Payment ended</h1>
<p role="status">Checkout <code>{{.CheckoutID}}</code> is <span id="status">{{.Status}}</span>. No return URL is set, so you can close this page.</p>
{{if .CallbackError}}<p id="callback-error">The callback was not delivered: {{.CallbackError}}</p>{{end}}
</main></body></html>
{{end}}`))

// handlePayPage serves GET /sandbox/payments/{checkout_id}/pay, the hosted
// page (an initialize answer's transaction_url): the payment and one button
// per way it can end.
func (p *PayUnit) handlePayPage(w http.ResponseWriter, r *http.Request) {
	v, ok := p.payView(r.PathValue("checkout_id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	renderPayPage(w, http.StatusOK, "page", v)
}

// handlePay serves POST /sandbox/payments/{checkout_id}/pay: the buyer's
// choice (form field choice, a Scenario) ends a pending payment with its
// callback posted or not (Choose), then the browser goes to the payment's
// return URL with 303, or sees what happened when there is none.
func (p *PayUnit) handlePay(w http.ResponseWriter, r *http.Request) {
	checkoutID := r.PathValue("checkout_id")
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	returnURL, err := p.Choose(r.Context(), checkoutID, Scenario(r.PostFormValue("choice")))
	switch {
	case errors.Is(err, ErrNotFound):
		http.NotFound(w, r)
		return
	case errors.Is(err, ErrUnknownScenario):
		http.Error(w, "choose one of the page's buttons", http.StatusBadRequest)
		return
	}
	if returnURL != "" {
		http.Redirect(w, r, returnURL, http.StatusSeeOther)
		return
	}
	v, _ := p.payView(checkoutID)
	if err != nil {
		v.CallbackError = err.Error() // the sandbox operator needs the cause
	}
	renderPayPage(w, http.StatusOK, "done", v)
}

// renderPayPage writes one of the pay page templates.
func renderPayPage(w http.ResponseWriter, code int, name string, v payPageView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_ = payPageTemplates.ExecuteTemplate(w, name, v)
}

// payView snapshots a payment for its pages.
func (p *PayUnit) payView(checkoutID string) (payPageView, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pay, ok := p.payments[checkoutID]
	if !ok {
		return payPageView{}, false
	}
	return payPageView{CheckoutID: checkoutID, TransactionID: pay.TransactionID, Amount: pay.Amount, Currency: pay.Currency,
		Description: pay.Description, Status: pay.status, ReturnURL: pay.ReturnURL, Choices: payChoices}, true
}

// Choose ends a pending payment, named by its checkout id or the merchant's
// transaction id, the way a buyer on the hosted page does: s (ScenarioPays, ScenarioFails, ScenarioCancelled or ScenarioPaysLost)
// sets the final status and, unless it loses the callback or the payment
// has no NotifyURL, the callback is posted synchronously. A payment no
// longer pending is left as it is. It returns the payment's ReturnURL ("" if
// none) with ErrNotFound, ErrUnknownScenario, or the callback POST's error
// (the status is set even when the callback fails).
func (p *PayUnit) Choose(ctx context.Context, id string, s Scenario) (returnURL string, err error) {
	status, callback, ok := s.outcome()
	if !ok || status == "" {
		return "", fmt.Errorf("choose %q for %s: %w", s, id, ErrUnknownScenario)
	}
	p.mu.Lock()
	pay := p.lookup(id)
	if pay == nil {
		p.mu.Unlock()
		return "", fmt.Errorf("choose for %s: %w", id, ErrNotFound)
	}
	checkoutID := pay.checkoutID
	returnURL, notifyURL := pay.ReturnURL, pay.NotifyURL
	if pay.status != StatusPending {
		p.mu.Unlock()
		return returnURL, nil
	}
	pay.Scenario, pay.status, pay.updated = s, status, p.cfg.Now()
	p.mu.Unlock()
	if !callback || notifyURL == "" {
		return returnURL, nil
	}
	return returnURL, p.SendCallback(ctx, checkoutID, status)
}
