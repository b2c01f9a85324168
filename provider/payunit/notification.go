package payunit

import (
	"bytes"
	"fmt"
	"mime"
	"net/url"
	"strings"

	"github.com/paysync/paysync/provider/internal/statusapi"
)

// Notification is what a PayUnit callback (notify_url) said. PayUnit does
// not sign callbacks: a Notification is a hint to check the status API,
// never a verdict.
type Notification struct {
	TransactionID string
	CheckoutID    string
	Status        string // trimmed, ASCII letters upper-cased, "" if none
}

// notificationKeys are the callback fields ParseNotification looks for.
var notificationKeys = [...]string{"transaction_id", "checkout_id", "status"}

// ParseNotification parses a callback body of the given Content-Type.
//
// JSON bodies (application/json or any +json type) must be one JSON object;
// application/x-www-form-urlencoded bodies are decoded as a form; for other
// or missing types the body is read as JSON if it starts with '{', else as a
// form. An empty body is allowed. Each of transaction_id, checkout_id and
// status is taken from the top level, else from a nested "data" object
// (JSON only), else from query. Values may be JSON strings or numbers; they
// are trimmed.
//
// An unparsable body returns an error wrapping ErrMalformed; a body that
// yields neither transaction_id nor checkout_id returns an error wrapping
// ErrNoIdentifier.
func ParseNotification(contentType string, body []byte, query url.Values) (Notification, error) {
	levels, err := notificationLevels(contentType, body)
	if err != nil {
		return Notification{}, fmt.Errorf("parse notification: %w", err)
	}
	levels = append(levels, func(k string) string { return query.Get(k) })
	var found [len(notificationKeys)]string
	for i, key := range notificationKeys {
		for _, get := range levels {
			if found[i] = strings.TrimSpace(get(key)); found[i] != "" {
				break
			}
		}
	}
	n := Notification{TransactionID: found[0], CheckoutID: found[1],
		Status: statusapi.UpperASCII(found[2])}
	if n.TransactionID == "" && n.CheckoutID == "" {
		return Notification{}, fmt.Errorf("parse notification: %w", ErrNoIdentifier)
	}
	return n, nil
}

// lookup returns the text of one field of a callback, "" if none.
type lookup func(key string) string

// notificationLevels returns the body's lookups, outermost first.
func notificationLevels(contentType string, body []byte) ([]lookup, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, nil
	}
	if isJSON(contentType, trimmed) {
		return jsonLevels(trimmed)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("decode form: %w: %w", ErrMalformed, err)
	}
	return []lookup{func(k string) string { return form.Get(k) }}, nil
}

// isJSON reports whether a body of contentType should be decoded as JSON.
func isJSON(contentType string, body []byte) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	switch {
	case err == nil && (mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")):
		return true
	case err == nil && mediaType == "application/x-www-form-urlencoded":
		return false
	default:
		return body[0] == '{'
	}
}

// jsonLevels decodes a JSON callback into lookups of the top level and, if
// present, of the nested data object.
func jsonLevels(body []byte) ([]lookup, error) {
	top, err := decodeUnique(body)
	if err != nil {
		return nil, err
	}
	levels := []lookup{top.text}
	if data, ok, err := top.object("data"); err == nil && ok {
		levels = append(levels, data.text)
	}
	return levels, nil
}

// text returns o[key] as text, "" when absent or not a string or number.
func (o jsonObject) text(key string) string {
	s, _ := o.scalar(key)
	return s
}
