package payunit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/paysync/paysync/provider/internal/statusapi"
)

// jsonObject is a JSON object whose values are kept as raw text, so that
// numbers are never turned into float64.
type jsonObject map[string]json.RawMessage

// decodeObject decodes b, which must hold exactly one JSON object.
// Errors wrap ErrMalformed.
func decodeObject(b []byte) (jsonObject, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, fmt.Errorf("decode json: not an object: %w", ErrMalformed)
	}
	var obj jsonObject
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("decode json: %w: %w", ErrMalformed, err)
	}
	return obj, nil
}

// decodeUnique is decodeObject for a whole body, which is first walked
// for duplicate member names at any depth (statusapi.UniqueKeys).
func decodeUnique(b []byte) (jsonObject, error) {
	if err := statusapi.UniqueKeys(b); errors.Is(err, statusapi.ErrDuplicateKey) {
		return nil, fmt.Errorf("decode json: %w: %w", ErrMalformed, err)
	}
	return decodeObject(b)
}

// object returns the member key as an object. ok is false when the member
// is absent or null; an error wrapping ErrMalformed is returned when it is
// present but not an object.
func (o jsonObject) object(key string) (obj jsonObject, ok bool, err error) {
	raw := bytes.TrimSpace(o[key])
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false, nil
	}
	obj, err = decodeObject(raw)
	if err != nil {
		return nil, false, fmt.Errorf("field %q: %w", key, err)
	}
	return obj, true, nil
}

// scalar returns the member key as text: a JSON string's value or a JSON
// number's exact literal. It returns "" for an absent or null member, and an
// error wrapping ErrMalformed for any other JSON type.
func (o jsonObject) scalar(key string) (string, error) {
	raw := bytes.TrimSpace(o[key])
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("field %q: %w: %w", key, ErrMalformed, err)
		}
		return s, nil
	case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
		return string(raw), nil // already validated by the enclosing Unmarshal
	default:
		return "", fmt.Errorf("field %q: not a string or number: %w", key, ErrMalformed)
	}
}
