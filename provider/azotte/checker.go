package azotte

import (
	"context"
	"errors"
	"net/url"

	"github.com/paysync/paysync/provider/internal/statusapi"
	"github.com/paysync/paysync/provider/plugin"
)

// Checker checks Azotte C2A checkouts through the status API, by
// tracking number (the checkout's provider_ref) under the merchant's tenant.
//
// Azotte reports no amount: the tracking number, scoped by tenant, is the
// payment's identity, so reports carry VerifiedByReference, and a
// trackingNumber in the answer must equal the registered one.
type Checker struct {
	Client *Client
}

var _ plugin.Checker = Checker{}

// azotteStates maps status.messageCode to paysync's state; other codes
// keep the state.
var azotteStates = map[string]plugin.State{
	CodeProcessing: plugin.StatePending,
	CodeThreeDS:    plugin.StateActionRequired,
	CodeDone:       plugin.StateSucceeded,
	CodeFailed:     plugin.StateFailed,
}

// Check asks Azotte about c. The next check honours the larger of the
// Retry-After header and followUpInstructions.retryAfterSeconds. An unknown
// messageCode is recorded (status_checked with the raw code) and leaves the
// state alone; 3DS instructions are kept verbatim as the checkout's action.
func (ac Checker) Check(ctx context.Context, acct plugin.Account, c plugin.Checkout) plugin.Report {
	if c.ProviderRef == "" {
		return plugin.Report{Finding: plugin.Finding{Failure: "checkout has no Azotte tracking number"}, Stop: true}
	}
	creds := Credentials{BaseURL: acct.BaseURL, TenantID: acct.TenantID, APIKey: acct.APIKey}
	res, err := ac.Client.Status(ctx, creds, c.ProviderRef)
	if err != nil {
		return azotteFailure(err)
	}
	r := plugin.Report{Finding: plugin.Finding{State: azotteStates[res.MessageCode], ProviderStatus: res.MessageCode,
		ProviderRef: res.TrackingNumber, VerifiedByReference: true}, RetryAfter: res.Wait()}
	if r.State == plugin.StateActionRequired {
		if !usableRedirect(res) {
			r.State, r.Failure = "", "Azotte asked for 3DS without usable redirect instructions"
		} else {
			r.Action = &plugin.Action{Instructions: res.Redirect}
		}
	}
	return r
}

// usableRedirect reports whether the buyer can be sent somewhere: HTML to
// show, or an absolute http(s) redirect URL (never javascript: and the like).
func usableRedirect(res Result) bool {
	if res.ShowHTMLContent && res.HTMLContent != "" {
		return true
	}
	u, err := url.Parse(res.RedirectURL)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// azotteFailure turns a failed status call into a report: 404 re-checks
// for a while (never failed on a 404 alone), 409 raises conflict and stops,
// rejected credentials raise credentials_rejected and slow down.
func azotteFailure(err error) plugin.Report {
	var e *Error
	if !errors.As(err, &e) {
		return statusapi.NoAnswer()
	}
	r := statusapi.FailureReport(statusapi.Failed{Transient: e.Kind == KindTransient, Auth: e.Kind == KindAuth,
		Rejected: e.Kind == KindRejected, Kind: e.Kind.String(), HTTPStatus: e.HTTPStatus, RetryAfter: e.RetryAfter,
		Detail: e.Detail, Refused: "Azotte refused the merchant's tenant id or API key"})
	switch e.Kind {
	case KindNotFound:
		r.NotFound, r.ProviderStatus = true, e.MessageCode
		r.Failure = "Azotte does not know the tracking number"
		if e.MessageCode != "" {
			r.Failure += " (" + e.MessageCode + ")"
		}
	case KindConflict:
		detail := "Azotte answered 409 without details"
		if e.Problem != nil {
			detail = "Azotte reported a conflict: " + e.Problem.Summary()
		}
		r.Anomaly = &plugin.Anomaly{Code: plugin.AnomalyConflict, Detail: detail}
		r.Stop = true
	}
	return r
}
