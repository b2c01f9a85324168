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
	switch {
	case r.State == store.StateSucceeded && len(res.TransactionIDs) == 0 && res.CheckoutID == "":
		r.Anomaly = &store.Anomaly{Code: store.AnomalyReferenceMismatch,
			Detail: "PayUnit reported success without naming the transaction or checkout"}
	case c.Reference != "" && len(res.TransactionIDs) > 0 && !res.HasTransactionID(c.Reference):
		r.Anomaly = &store.Anomaly{Code: store.AnomalyReferenceMismatch,
			Detail: fmt.Sprintf("PayUnit answered for transaction %s, registered %s", strings.Join(res.TransactionIDs, "/"), c.Reference)}
	case res.CheckoutMode != "" && !strings.EqualFold(res.CheckoutMode, m.PayUnit.Mode):
		r.Anomaly = &store.Anomaly{Code: store.AnomalyModeMismatch,
			Detail: fmt.Sprintf("PayUnit checkout is in %s mode, merchant account is %s", res.CheckoutMode, m.PayUnit.Mode)}
	}
	return r
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
