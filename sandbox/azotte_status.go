package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// azotteResult is a CheckoutResult, in the seed's field names.
type azotteResult struct {
	TrackingNumber       string                `json:"trackingNumber,omitempty"`
	Status               azotteStatus          `json:"status"`
	RedirectInstructions *redirectInstructions `json:"redirectInstructions,omitempty"`
	FollowUpInstructions *followUpInstructions `json:"followUpInstructions,omitempty"`
}

type azotteStatus struct {
	MessageCode string `json:"messageCode"`
	Message     string `json:"message,omitempty"`
}

type redirectInstructions struct {
	RedirectURL        string `json:"redirectUrl"`
	HTMLContent        string `json:"htmlContent,omitempty"`
	ThreeDIdentifier   string `json:"threeDIdentifier"`
	IsRedirectRequired bool   `json:"isRedirectRequired"`
	HasNextSteps       bool   `json:"hasNextSteps"`
	ShowHTMLContent    bool   `json:"showHtmlContent"`
}

type followUpInstructions struct {
	RetryAfterSeconds int  `json:"retryAfterSeconds,omitempty"`
	CanFollowUp       bool `json:"canFollowUp"`
}

// problemDetails is an RFC 9457 problem document.
type problemDetails struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance,omitempty"`
}

// handleStatus serves GET {root}/c2a/offer/checkout/{trackingId}/status.
func (az *Azotte) handleStatus(w http.ResponseWriter, r *http.Request) {
	tracking := r.PathValue("trackingId")
	az.mu.Lock()
	c, ok := az.checkouts[tracking]
	if ok {
		c.checks++
	}
	az.mu.Unlock()
	if !az.authorized(r) {
		writeProblem(w, problemDetails{Type: "https://sandbox.azotte.test/problems/unauthorized", Title: "Unauthorized",
			Status: http.StatusUnauthorized, Detail: "x-tn or x-api-key is not valid for this tenant"})
		return
	}
	if !ok {
		writeJSON(w, http.StatusNotFound, azotteResult{Status: azotteStatus{MessageCode: "ORDERED_ITEM_NOT_FOUND"}})
		return
	}
	code, res := az.answer(c, challengeURL(r, tracking))
	if res.FollowUpInstructions != nil && res.FollowUpInstructions.CanFollowUp {
		w.Header().Set("Retry-After", strconv.Itoa(az.retryAfter(c)))
	}
	if code == http.StatusConflict {
		writeProblem(w, problemDetails{Type: "https://sandbox.azotte.test/problems/tracking-conflict", Title: "Conflict",
			Status: http.StatusConflict, Detail: "Tracking number " + tracking + " belongs to another tenant.",
			Instance: r.URL.Path})
		return
	}
	writeJSON(w, code, res)
}

// authorized checks the tenant id and API key in constant time.
func (az *Azotte) authorized(r *http.Request) bool {
	tn := subtle.ConstantTimeCompare([]byte(r.Header.Get("x-tn")), []byte(az.opts.TenantID))
	key := subtle.ConstantTimeCompare([]byte(r.Header.Get("x-api-key")), []byte(az.opts.APIKey))
	return tn&key == 1
}

// answer is the status code and body for c after its latest check.
func (az *Azotte) answer(c *azotteCheckout, challenge string) (int, azotteResult) {
	az.mu.Lock()
	defer az.mu.Unlock()
	processing := c.checks <= c.ProcessingChecks
	res := azotteResult{TrackingNumber: c.TrackingNumber}
	pending := func(code string) (int, azotteResult) {
		res.Status = azotteStatus{MessageCode: code}
		res.FollowUpInstructions = &followUpInstructions{RetryAfterSeconds: cmpOr(c.FollowUpSeconds, 3), CanFollowUp: true}
		return http.StatusOK, res
	}
	final := func(code, message string) (int, azotteResult) {
		res.Status = azotteStatus{MessageCode: code, Message: message}
		res.FollowUpInstructions = &followUpInstructions{CanFollowUp: false}
		return http.StatusOK, res
	}
	switch c.Scenario {
	case AzotteConflict:
		return http.StatusConflict, res
	case AzotteNotFoundThenFound:
		if processing {
			return http.StatusNotFound, azotteResult{Status: azotteStatus{MessageCode: "ORDERED_ITEM_NOT_FOUND"}}
		}
		return final("CHECK_OUT_DONE", "")
	case AzotteNever:
		return pending("CHECK_OUT_PROCESSING")
	}
	if c.decision == DecisionApprove {
		return final("CHECK_OUT_DONE", "")
	}
	if c.decision == DecisionDecline {
		return final("CHECK_OUT_FAILED", "3-D Secure authentication declined by the cardholder")
	}
	if processing {
		return pending("CHECK_OUT_PROCESSING")
	}
	switch c.Scenario {
	case AzotteFailed:
		return final("CHECK_OUT_FAILED", "Authorization declined by issuer")
	case Azotte3DS, Azotte3DSHTML:
		code, res := pending("CHECK_OUT_3DS_REQUIRED")
		res.RedirectInstructions = &redirectInstructions{RedirectURL: challenge, ThreeDIdentifier: "3ds_" + c.TrackingNumber,
			IsRedirectRequired: true, HasNextSteps: true}
		if c.Scenario == Azotte3DSHTML {
			res.RedirectInstructions.ShowHTMLContent = true
			res.RedirectInstructions.HTMLContent = stepUpHTML(challenge, c.TrackingNumber)
		}
		return code, res
	}
	return final("CHECK_OUT_DONE", "")
}

// retryAfter is the Retry-After header value of c's non-terminal answers.
func (az *Azotte) retryAfter(c *azotteCheckout) int {
	az.mu.Lock()
	defer az.mu.Unlock()
	return cmpOr(c.RetryAfter, 2)
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// challengeURL is this server's absolute challenge page URL for tracking,
// built from the request's Host.
func challengeURL(r *http.Request, tracking string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/challenge/" + url.PathEscape(tracking)
}

var stepUpTemplate = template.Must(template.New("stepup").Parse(
	`<form id="azotte-3ds-{{.Tracking}}" method="post" action="{{.Action}}">` +
		`<input type="hidden" name="creq" value="{{.Tracking}}">` +
		`<p>Your bank needs to confirm this payment.</p>` +
		`<button type="submit">Continue to 3-D Secure</button></form>` +
		`<script>document.getElementById("azotte-3ds-{{.Tracking}}").submit();</script>`))

// stepUpHTML is the htmlContent of the 3ds_html scenario: a form POSTing to
// the challenge page, auto-submitted, with a button for browsers without
// JavaScript.
func stepUpHTML(action, tracking string) string {
	var b strings.Builder
	_ = stepUpTemplate.Execute(&b, struct{ Action, Tracking string }{action, tracking})
	return b.String()
}

// writeProblem writes an application/problem+json answer.
func writeProblem(w http.ResponseWriter, p problemDetails) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
