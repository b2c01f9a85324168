package azotte

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/paysync/paysync/provider/internal/statusapi"
)

// maxRetryAfter caps followUpInstructions.retryAfterSeconds like the
// Retry-After header, so that a hostile or broken value cannot park a
// checkout for years.
const maxRetryAfter = statusapi.MaxRetryAfter

// Azotte's status.messageCode values (seed 000: "Get Checkout Status").
const (
	CodeProcessing   = "CHECK_OUT_PROCESSING"
	CodeThreeDS      = "CHECK_OUT_3DS_REQUIRED"
	CodeDone         = "CHECK_OUT_DONE"
	CodeFailed       = "CHECK_OUT_FAILED"
	CodeItemNotFound = "ORDERED_ITEM_NOT_FOUND"
)

// Result is what the status API said about one checkout (a CheckoutResult).
type Result struct {
	// TrackingNumber is trackingNumber, "" when absent.
	TrackingNumber string
	// MessageCode is status.messageCode, trimmed, as sent (the source of
	// truth); never "" in a parsed Result. Unknown codes are kept as is.
	MessageCode string
	// Message is status.message, if any (informational).
	Message string
	// Redirect is redirectInstructions exactly as received (every field,
	// byte for byte), nil when absent or null.
	Redirect json.RawMessage
	// RedirectURL, HTMLContent and ShowHTMLContent are read from Redirect
	// for convenience.
	RedirectURL     string
	HTMLContent     string
	ShowHTMLContent bool
	// FollowUp is followUpInstructions.retryAfterSeconds, 0 if absent;
	// at most 24h.
	FollowUp time.Duration
	// RetryAfter is the response's Retry-After header, 0 if none.
	RetryAfter time.Duration
	// HTTPStatus is the response's status code.
	HTTPStatus int
}

// Wait is the longer of the Retry-After header and retryAfterSeconds: the
// provider asked for both, so the larger wins.
func (r Result) Wait() time.Duration { return max(r.RetryAfter, r.FollowUp) }

// ParseStatus parses the body of a status API response (a CheckoutResult,
// or the {"status":{"messageCode":...}} body of a 404). It fills every field
// of Result except RetryAfter and HTTPStatus.
//
// The body must be a JSON object whose status.messageCode is a non-empty
// string; trackingNumber, when present, a string; redirectInstructions,
// when present, an object whose redirectUrl and htmlContent are strings and
// showHtmlContent a boolean; followUpInstructions.retryAfterSeconds, when
// present, a non-negative number. Anything else is an error wrapping
// ErrMalformed, and so is an object naming a member twice, also under
// case folding (statusapi.Parse: encoding/json would keep the last,
// "messageCode":"CHECK_OUT_PROCESSING","messageCode":"CHECK_OUT_DONE" is
// ambiguous). Member names match under case folding, as encoding/json
// matches struct fields. MessageCode is compared exactly: only JSON
// whitespace is trimmed. The body is read in one pass (statusapi.Parse).
func ParseStatus(body []byte) (Result, error) {
	top, err := statusapi.Parse(body)
	if err != nil {
		return Result{}, fmt.Errorf("parse status: %w: %w", ErrMalformed, err)
	}
	if top.Kind != statusapi.KindObject {
		return Result{}, fmt.Errorf("parse status: decode json: not an object: %w", ErrMalformed)
	}
	var r Result
	status, ok, err := member(top, "status", statusapi.KindObject)
	if err != nil {
		return Result{}, fmt.Errorf("parse status: %w", err)
	}
	if !ok {
		return Result{}, fmt.Errorf("parse status: no status object: %w", ErrMalformed)
	}
	if r.MessageCode, err = optString(status, "messageCode", "status.messageCode"); err != nil {
		return Result{}, fmt.Errorf("parse status: %w", err)
	}
	r.MessageCode = statusapi.Code(r.MessageCode)
	if r.MessageCode == "" {
		return Result{}, fmt.Errorf("parse status: no status.messageCode: %w", ErrMalformed)
	}
	r.Message, _ = optString(status, "message", "status.message") // informational: ignore odd types
	if r.TrackingNumber, err = optString(top, "trackingNumber", "trackingNumber"); err != nil {
		return Result{}, fmt.Errorf("parse status: %w", err)
	}
	if err := r.readRedirect(top); err != nil {
		return Result{}, fmt.Errorf("parse status: %w", err)
	}
	if r.FollowUp, err = followUp(top); err != nil {
		return Result{}, fmt.Errorf("parse status: %w", err)
	}
	return r, nil
}

// readRedirect keeps redirectInstructions verbatim and reads the fields
// the hosted 3DS page needs: redirectUrl and htmlContent strings,
// showHtmlContent a boolean (null or absent: "" and false).
func (r *Result) readRedirect(top statusapi.Value) error {
	ri, ok, err := member(top, "redirectInstructions", statusapi.KindObject)
	if err != nil || !ok {
		return err
	}
	if r.RedirectURL, err = optString(ri, "redirectUrl", "redirectInstructions.redirectUrl"); err != nil {
		return err
	}
	if r.HTMLContent, err = optString(ri, "htmlContent", "redirectInstructions.htmlContent"); err != nil {
		return err
	}
	show, ok, err := member(ri, "showHtmlContent", statusapi.KindBool)
	if err != nil {
		return fmt.Errorf("redirectInstructions: %w", err)
	}
	r.ShowHTMLContent = ok && string(show.Raw) == "true"
	r.Redirect = append(json.RawMessage(nil), ri.Raw...)
	return nil
}

// followUp returns followUpInstructions.retryAfterSeconds as a duration.
func followUp(top statusapi.Value) (time.Duration, error) {
	fu, ok, err := member(top, "followUpInstructions", statusapi.KindObject)
	if err != nil || !ok {
		return 0, err
	}
	ras, ok := fu.MemberFold("retryAfterSeconds")
	if !ok || ras.Kind == statusapi.KindNull {
		return 0, nil
	}
	v := string(ras.Raw)
	secs, err := strconv.ParseFloat(v, 64)
	if errors.Is(err, strconv.ErrRange) && secs > 0 {
		return maxRetryAfter, nil // a huge number: capped like any long wait
	}
	if err != nil || secs < 0 || math.IsNaN(secs) {
		return 0, fmt.Errorf("followUpInstructions.retryAfterSeconds %.20q: %w", v, ErrMalformed)
	}
	if secs >= maxRetryAfter.Seconds() {
		return maxRetryAfter, nil
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// member returns the member name of the object v (matched under case
// folding, as encoding/json matches struct fields) when it has the kind
// want; ok is false when it is absent or null, and any other kind is an
// error wrapping ErrMalformed.
func member(v statusapi.Value, name string, want statusapi.Kind) (m statusapi.Value, ok bool, err error) {
	m, found := v.MemberFold(name)
	switch {
	case !found || m.Kind == statusapi.KindNull:
		return statusapi.Value{}, false, nil
	case m.Kind != want:
		return statusapi.Value{}, false, fmt.Errorf("field %s: wrong type: %w", name, ErrMalformed)
	}
	return m, true, nil
}

// optString returns the string member name of v, "" for absent or null,
// and an error wrapping ErrMalformed, naming path, for any other type.
func optString(v statusapi.Value, name, path string) (string, error) {
	m, ok, err := member(v, name, statusapi.KindString)
	if err != nil {
		return "", fmt.Errorf("field %s: not a string: %w", path, ErrMalformed)
	}
	if !ok {
		return "", nil
	}
	s, _ := m.Text()
	return s, nil
}

// decodeObject decodes b, which must hold exactly one JSON object, into v.
// Errors wrap ErrMalformed.
func decodeObject(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return fmt.Errorf("decode json: not an object: %w", ErrMalformed)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode json: %w: %w", ErrMalformed, err)
	}
	return nil
}
