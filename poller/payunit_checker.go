package poller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/paysync/paysync/provider/payunit"
	"github.com/paysync/paysync/store"
)

// PayUnitChecker checks PayUnit checkouts through the status API.
type PayUnitChecker struct {
	Client *payunit.Client
}

var _ Checker = PayUnitChecker{}

// payunitStates maps PayUnit's checkout status to paysync's state.
var payunitStates = map[string]store.State{
	"PENDING":   store.StatePending,
	"SUCCESS":   store.StateSucceeded,
	"FAILED":    store.StateFailed,
	"CANCELLED": store.StateCancelled,
}

// Check queries PayUnit by the checkout id when known, else by the
// merchant's transaction id, and checks that the answer is about this
// checkout and in the merchant's mode.
func (pc PayUnitChecker) Check(ctx context.Context, m store.Merchant, c store.Checkout) Report {
	if m.PayUnit == nil {
		return Report{Finding: Finding{Failure: "merchant has no PayUnit account"}, SlowDown: true}
	}
	creds := payunit.Credentials{BaseURL: m.PayUnit.BaseURL, APIUser: m.PayUnit.APIUser,
		APIPassword: m.PayUnit.APIPassword, APIKey: m.PayUnit.APIKey, Mode: m.PayUnit.Mode}
	id := cmp.Or(c.ProviderRef, c.Reference)
	res, err := pc.Client.Status(ctx, creds, id)
	if err != nil {
		return payunitFailure(err)
	}
	r := Report{Finding: Finding{
		State: payunitStates[res.Status], ProviderStatus: res.Status, ProviderRef: res.CheckoutID,
		Amount: res.Amount, Currency: res.Currency,
	}, RetryAfter: res.RetryAfter}
	if r.State == "" {
		r.Failure = fmt.Sprintf("unknown PayUnit status %q", res.Status)
	}
	namesReference := res.HasTransactionID(c.Reference)
	if !namesReference && c.ProviderRef == "" {
		r.ProviderRef = "" // a checkout id nothing ties to this checkout is not adopted as its provider_ref
	}
	r.Anomaly = payunitAnomaly(m, c, res, r.State, namesReference)
	return r
}

// payunitAnomaly returns what blocks a verdict in PayUnit's answer res
// about c, or nil:
//   - an answer naming another transaction (reference_mismatch);
//   - a success that doesn't name this checkout: neither its reference
//     among the transaction ids nor its known provider_ref as the checkout
//     id (reference_mismatch);
//   - an answer in another mode than the merchant's account, and a verdict
//     of a live account's checkout whose mode the answer doesn't state
//     (mode_mismatch).
func payunitAnomaly(m store.Merchant, c store.Checkout, res payunit.Result, state store.State, namesReference bool) *store.Anomaly {
	namesProviderRef := c.ProviderRef != "" && res.CheckoutID == c.ProviderRef
	mode := strings.ToUpper(m.PayUnit.Mode) // validated at creation: "test" or "live"
	switch {
	case c.Reference != "" && len(res.TransactionIDs) > 0 && !namesReference:
		return &store.Anomaly{Code: store.AnomalyReferenceMismatch,
			Detail: fmt.Sprintf("PayUnit answered for transaction %s, registered %s", strings.Join(res.TransactionIDs, "/"), c.Reference)}
	case state == store.StateSucceeded && !namesReference && !namesProviderRef:
		return &store.Anomaly{Code: store.AnomalyReferenceMismatch,
			Detail: "PayUnit reported success without naming this checkout (neither its reference as transaction_id nor its known checkout_id)"}
	case res.CheckoutMode != "" && res.CheckoutMode != mode:
		return &store.Anomaly{Code: store.AnomalyModeMismatch,
			Detail: fmt.Sprintf("PayUnit checkout is in %s mode, merchant account is %s", res.CheckoutMode, m.PayUnit.Mode)}
	case res.CheckoutMode == "" && mode == "LIVE" && state.Terminal():
		return &store.Anomaly{Code: store.AnomalyModeMismatch,
			Detail: "PayUnit's answer does not state checkout_mode: a live account's checkout settles only on an answer in live mode"}
	}
	return nil
}

func payunitFailure(err error) Report {
	var pe *payunit.Error
	if !errors.As(err, &pe) {
		return Report{Finding: Finding{Failure: "status check failed"}, Unavailable: true}
	}
	r := Report{Finding: Finding{Failure: pe.Detail}, RetryAfter: pe.RetryAfter}
	// No answer, 5xx, or a 2xx that isn't PayUnit's JSON: the endpoint is
	// failing. 408, 425 and 429 are PayUnit pacing us, not failing.
	r.Unavailable = pe.Kind == payunit.KindTransient && (pe.HTTPStatus == 0 || pe.HTTPStatus >= 500 || pe.HTTPStatus < 300)
	if r.Failure == "" {
		r.Failure = pe.Kind.String()
	}
	switch pe.Kind {
	case payunit.KindAuth:
		r.Anomaly = &store.Anomaly{Code: store.AnomalyCredentials,
			Detail: fmt.Sprintf("PayUnit refused the merchant's credentials (HTTP %d)", pe.HTTPStatus)}
		r.SlowDown = true
	case payunit.KindRejected:
		r.SlowDown = true
	}
	return r
}
