package payunit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/paysync/paysync/provider/internal/statusapi"
	"github.com/paysync/paysync/provider/plugin"
)

// Checker checks PayUnit checkouts through the status API.
type Checker struct {
	Client *Client
}

var _ plugin.Checker = Checker{}

// payunitStates maps PayUnit's checkout status to paysync's state.
var payunitStates = map[string]plugin.State{
	"PENDING":   plugin.StatePending,
	"SUCCESS":   plugin.StateSucceeded,
	"FAILED":    plugin.StateFailed,
	"CANCELLED": plugin.StateCancelled,
}

// Check queries PayUnit by the checkout id when known, else by the
// merchant's transaction id, and checks that the answer is about this
// checkout and in the merchant's mode.
func (pc Checker) Check(ctx context.Context, acct plugin.Account, c plugin.Checkout) plugin.Report {
	creds := Credentials{BaseURL: acct.BaseURL, APIUser: acct.APIUser,
		APIPassword: acct.APIPassword, APIKey: acct.APIKey, Mode: acct.Mode}
	id := cmp.Or(c.ProviderRef, c.Reference)
	res, err := pc.Client.Status(ctx, creds, id)
	if err != nil {
		return payunitFailure(err)
	}
	r := plugin.Report{Finding: plugin.Finding{
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
	r.Anomaly = payunitAnomaly(acct.Mode, c, res, r.State, namesReference)
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
func payunitAnomaly(accountMode string, c plugin.Checkout, res Result, state plugin.State, namesReference bool) *plugin.Anomaly {
	namesProviderRef := c.ProviderRef != "" && res.CheckoutID == c.ProviderRef
	mode := strings.ToUpper(accountMode) // validated at creation: "test" or "live"
	switch {
	case c.Reference != "" && len(res.TransactionIDs) > 0 && !namesReference:
		return &plugin.Anomaly{Code: plugin.AnomalyReferenceMismatch,
			Detail: fmt.Sprintf("PayUnit answered for transaction %s, registered %s", strings.Join(res.TransactionIDs, "/"), c.Reference)}
	case state == plugin.StateSucceeded && !namesReference && !namesProviderRef:
		return &plugin.Anomaly{Code: plugin.AnomalyReferenceMismatch,
			Detail: "PayUnit reported success without naming this checkout (neither its reference as transaction_id nor its known checkout_id)"}
	case res.CheckoutMode != "" && res.CheckoutMode != mode:
		return &plugin.Anomaly{Code: plugin.AnomalyModeMismatch,
			Detail: fmt.Sprintf("PayUnit checkout is in %s mode, merchant account is %s", res.CheckoutMode, accountMode)}
	case res.CheckoutMode == "" && mode == "LIVE" && state.Terminal():
		return &plugin.Anomaly{Code: plugin.AnomalyModeMismatch,
			Detail: "PayUnit's answer does not state checkout_mode: a live account's checkout settles only on an answer in live mode"}
	}
	return nil
}

// payunitFailure turns a failed status call into a report
// (statusapi.FailureReport): rejected credentials raise
// credentials_rejected and slow down.
func payunitFailure(err error) plugin.Report {
	var pe *Error
	if !errors.As(err, &pe) {
		return statusapi.NoAnswer()
	}
	return statusapi.FailureReport(statusapi.Failed{Transient: pe.Kind == KindTransient, Auth: pe.Kind == KindAuth,
		Rejected: pe.Kind == KindRejected, Kind: pe.Kind.String(), HTTPStatus: pe.HTTPStatus, RetryAfter: pe.RetryAfter,
		Detail: pe.Detail, Refused: "PayUnit refused the merchant's credentials"})
}
