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

// statusBody is the CheckoutResult shape; fields are raw so that an odd
// type in an informational field does not reject the verdict.
type statusBody struct {
	TrackingNumber json.RawMessage `json:"trackingNumber"`
	Status         *struct {
		MessageCode json.RawMessage `json:"messageCode"`
		Message     json.RawMessage `json:"message"`
	} `json:"status"`
	RedirectInstructions json.RawMessage `json:"redirectInstructions"`
	FollowUpInstructions json.RawMessage `json:"followUpInstructions"`
}

// redirectFields are the members of redirectInstructions paysync reads.
type redirectFields struct {
	RedirectURL     string `json:"redirectUrl"`
	HTMLContent     string `json:"htmlContent"`
	ShowHTMLContent bool   `json:"showHtmlContent"`
}

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
// case folding (statusapi.UniqueKeys: encoding/json would keep the last,
// "messageCode":"CHECK_OUT_PROCESSING","messageCode":"CHECK_OUT_DONE" is
// ambiguous). MessageCode is compared exactly: only JSON whitespace is trimmed.
func ParseStatus(body []byte) (Result, error) {
	var b statusBody
	if err := statusapi.UniqueKeys(body); errors.Is(err, statusapi.ErrDuplicateKey) {
		return Result{}, fmt.Errorf("parse status: %w: %w", ErrMalformed, err)
	}
	if err := decodeObject(body, &b); err != nil {
		return Result{}, fmt.Errorf("parse status: %w", err)
	}
	var r Result
	var err error
	if b.Status == nil {
		return Result{}, fmt.Errorf("parse status: no status object: %w", ErrMalformed)
	}
	if r.MessageCode, err = optString(b.Status.MessageCode, "status.messageCode"); err != nil {
		return Result{}, fmt.Errorf("parse status: %w", err)
	}
	r.MessageCode = statusapi.Code(r.MessageCode)
	if r.MessageCode == "" {
		return Result{}, fmt.Errorf("parse status: no status.messageCode: %w", ErrMalformed)
	}
	r.Message, _ = optString(b.Status.Message, "status.message") // informational: ignore odd types
	if r.TrackingNumber, err = optString(b.TrackingNumber, "trackingNumber"); err != nil {
		return Result{}, fmt.Errorf("parse status: %w", err)
	}
	if err := r.readRedirect(b.RedirectInstructions); err != nil {
		return Result{}, fmt.Errorf("parse status: %w", err)
	}
	if r.FollowUp, err = followUp(b.FollowUpInstructions); err != nil {
		return Result{}, fmt.Errorf("parse status: %w", err)
	}
	return r, nil
}

// readRedirect keeps redirectInstructions verbatim and reads the fields
// the hosted 3DS page needs.
func (r *Result) readRedirect(raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var f redirectFields
	if err := decodeObject(raw, &f); err != nil {
		return fmt.Errorf("redirectInstructions: %w", err)
	}
	r.Redirect = append(json.RawMessage(nil), raw...)
	r.RedirectURL, r.HTMLContent, r.ShowHTMLContent = f.RedirectURL, f.HTMLContent, f.ShowHTMLContent
	return nil
}

// followUp returns followUpInstructions.retryAfterSeconds as a duration.
func followUp(raw json.RawMessage) (time.Duration, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var f struct {
		RetryAfterSeconds json.RawMessage `json:"retryAfterSeconds"`
	}
	if err := decodeObject(raw, &f); err != nil {
		return 0, fmt.Errorf("followUpInstructions: %w", err)
	}
	v := string(bytes.TrimSpace(f.RetryAfterSeconds))
	if v == "" || v == "null" {
		return 0, nil
	}
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

// optString returns a JSON string member's value, "" for absent or null,
// and an error wrapping ErrMalformed for any other type.
func optString(raw json.RawMessage, name string) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("field %s: not a string: %w", name, ErrMalformed)
	}
	return s, nil
}
