package sandbox

import (
	"context"
	"fmt"
)

// Scenario says how a fake payment ends when it is resolved.
type Scenario string

// Scenarios understood by PayUnit.Resolve.
const (
	ScenarioPays          Scenario = "pays"      // payment succeeds, callback posted to notify_url
	ScenarioPaysLost      Scenario = "pays_lost" // payment succeeds, callback never sent
	ScenarioFails         Scenario = "fails"     // status FAILED, callback posted
	ScenarioCancelled     Scenario = "cancelled" // status CANCELLED, callback posted
	ScenarioNeverResolves Scenario = "never"     // stays PENDING forever, no callback
)

// outcome returns the final status of a scenario ("" for none) and whether
// its callback is posted; ok is false for an unknown scenario.
func (s Scenario) outcome() (status string, callback, ok bool) {
	switch s {
	case ScenarioPays:
		return StatusSuccess, true, true
	case ScenarioPaysLost:
		return StatusSuccess, false, true
	case ScenarioFails:
		return StatusFailed, true, true
	case ScenarioCancelled:
		return StatusCancelled, true, true
	case ScenarioNeverResolves:
		return "", false, true
	}
	return "", false, false
}

// Valid reports whether s is one of the known scenarios.
func (s Scenario) Valid() bool {
	_, _, ok := s.outcome()
	return ok
}

// Payment describes a checkout registered with PayUnit.Create.
type Payment struct {
	// TransactionID is the merchant's id, reported as data.transaction_id
	// and data.transaction.transaction_id.
	TransactionID string
	// Amount is a decimal in major units, e.g. "10" or "10.50"; it is
	// rendered verbatim as a JSON number.
	Amount string
	// Currency is an ISO code, e.g. "XAF".
	Currency string
	// NotifyURL receives the callbacks.
	NotifyURL string
	// ReturnURL is where the hosted pay page sends the buyer afterwards.
	ReturnURL string
	// Description is shown on the hosted pay page.
	Description string
	// Scenario says how Resolve ends the payment; empty means ScenarioPays.
	Scenario Scenario
}

// Resolve applies the payment's scenario: it sets the final status (nothing
// for ScenarioNeverResolves) and, unless the scenario loses the callback or
// the payment has no NotifyURL, posts the callback synchronously. It returns
// ErrNotFound for an unknown checkout id, ErrUnknownScenario, or the error
// of the callback POST (ErrCallbackStatus for a non-2xx answer); the status
// is set even when the callback fails.
func (p *PayUnit) Resolve(ctx context.Context, checkoutID string) error {
	p.mu.Lock()
	pay, ok := p.payments[checkoutID]
	if !ok {
		p.mu.Unlock()
		return fmt.Errorf("resolve %s: %w", checkoutID, ErrNotFound)
	}
	status, callback, ok := pay.Scenario.outcome()
	if !ok {
		p.mu.Unlock()
		return fmt.Errorf("resolve %s: %w %q", checkoutID, ErrUnknownScenario, pay.Scenario)
	}
	if status != "" {
		pay.status = status
		pay.updated = p.cfg.Now()
	}
	notifyURL := pay.NotifyURL
	p.mu.Unlock()

	if !callback || notifyURL == "" {
		return nil
	}
	return p.SendCallback(ctx, checkoutID, status)
}

// SetStatus forces the status the API reports (PENDING, FAILED, CANCELLED
// or SUCCESS) without posting a callback, e.g. to make the status API lag
// behind a callback. It returns ErrNotFound or ErrInvalidStatus.
func (p *PayUnit) SetStatus(checkoutID, status string) error {
	switch status {
	case StatusPending, StatusSuccess, StatusFailed, StatusCancelled:
	default:
		return fmt.Errorf("set status %q: %w", status, ErrInvalidStatus)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pay, ok := p.payments[checkoutID]
	if !ok {
		return fmt.Errorf("set status of %s: %w", checkoutID, ErrNotFound)
	}
	pay.status = status
	pay.updated = p.cfg.Now()
	return nil
}

// SetReported overrides the amount and currency that the status API and
// later callbacks report, for mismatch tests. It returns ErrNotFound or
// ErrInvalidAmount.
func (p *PayUnit) SetReported(checkoutID, amount, currency string) error {
	if !ValidAmount(amount) {
		return fmt.Errorf("set reported amount %q: %w", amount, ErrInvalidAmount)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pay, ok := p.payments[checkoutID]
	if !ok {
		return fmt.Errorf("set reported amount of %s: %w", checkoutID, ErrNotFound)
	}
	pay.Amount, pay.Currency = amount, currency
	pay.updated = p.cfg.Now()
	return nil
}
