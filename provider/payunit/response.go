package payunit

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paysync/paysync/provider/internal/statusapi"
)

// Result is what the status API said about one checkout.
type Result struct {
	// Status is data.status with JSON whitespace trimmed and nothing else
	// changed (statusapi.Code): PENDING, FAILED, CANCELLED, SUCCESS, or
	// whatever other text PayUnit sent, to be compared exactly. It is the
	// payment's verdict; the top-level "status" is only the API call's.
	Status string
	// CheckoutID is data.checkout_id.
	CheckoutID string
	// TransactionIDs are the distinct non-empty values among
	// data.transaction_id and data.transaction.transaction_id, in that
	// order. The two may differ; either may be the merchant's id.
	TransactionIDs []string
	// Amount is data.total_amount in canonical form (see CanonicalAmount),
	// "" if absent, null or an empty string.
	Amount string
	// Currency is data.currency, trimmed, ASCII letters upper-cased.
	Currency string
	// CheckoutMode is data.checkout_mode, trimmed, ASCII letters
	// upper-cased ("TEST", "LIVE"), "" if absent.
	CheckoutMode string
	// Message is data.transaction.message, if any.
	Message string
	// RetryAfter is the response's Retry-After header, 0 if none.
	RetryAfter time.Duration
	// HTTPStatus is the response's status code.
	HTTPStatus int
}

// HasTransactionID reports whether id is one of r.TransactionIDs.
func (r Result) HasTransactionID(id string) bool {
	return id != "" && slices.Contains(r.TransactionIDs, id)
}

// ParseStatus parses the body of a status API response. It fills every
// field of Result except RetryAfter and HTTPStatus.
//
// The body must be a JSON object with a "data" object whose "status" is a
// non-empty string; total_amount, when present, must be a non-negative
// decimal (JSON number or string). Any other shape, and an object naming
// a member twice (statusapi.Parse: "status":"PENDING","status":"SUCCESS"
// is ambiguous), is an error wrapping ErrMalformed. When the error is nil,
// Status is non-empty.
func ParseStatus(body []byte) (Result, error) {
	top, err := decodeUnique(body)
	if err != nil {
		return Result{}, fmt.Errorf("parse status: %w", err)
	}
	data, ok, err := top.object("data")
	if err != nil {
		return Result{}, fmt.Errorf("parse status: %w", err)
	}
	if !ok {
		return Result{}, fmt.Errorf("parse status: no data object: %w", ErrMalformed)
	}
	r, err := parseData(data)
	if err != nil {
		return Result{}, fmt.Errorf("parse status: %w", err)
	}
	return r, nil
}

// parseData reads the fields of the response's data object.
func parseData(data jsonObject) (Result, error) {
	var r Result
	status, err := data.scalar("status")
	if err != nil {
		return Result{}, err
	}
	r.Status = statusapi.Code(status)
	if r.Status == "" {
		return Result{}, fmt.Errorf("no data.status: %w", ErrMalformed)
	}
	if r.CheckoutID, err = data.scalar("checkout_id"); err != nil {
		return Result{}, err
	}
	if r.Amount, err = amountField(data, "total_amount"); err != nil {
		return Result{}, err
	}
	currency, err := data.scalar("currency")
	if err != nil {
		return Result{}, err
	}
	r.Currency = statusapi.UpperASCII(currency)
	mode, err := data.scalar("checkout_mode")
	if err != nil {
		return Result{}, err
	}
	r.CheckoutMode = statusapi.UpperASCII(mode)
	txID, err := data.scalar("transaction_id")
	if err != nil {
		return Result{}, err
	}
	r.TransactionIDs = appendID(nil, txID)
	tx, ok, err := data.object("transaction")
	if err != nil || !ok {
		return r, err
	}
	innerID, err := tx.scalar("transaction_id")
	if err != nil {
		return Result{}, err
	}
	r.TransactionIDs = appendID(r.TransactionIDs, innerID)
	r.Message, _ = tx.scalar("message") // informational only: ignore odd types
	return r, nil
}

// amountField returns the canonical amount in data[key], "" when absent.
func amountField(data jsonObject, key string) (string, error) {
	s, err := data.scalar(key)
	if err != nil || s == "" {
		return "", err
	}
	amount, err := CanonicalAmount(s)
	if err != nil {
		return "", fmt.Errorf("field %q: %w: %w", key, ErrMalformed, err)
	}
	return amount, nil
}

// appendID appends id, trimmed, unless it is empty or already in ids.
func appendID(ids []string, id string) []string {
	id = strings.TrimSpace(id)
	if id == "" || slices.Contains(ids, id) {
		return ids
	}
	return append(ids, id)
}
