package payunit

import (
	"fmt"

	"github.com/paysync/paysync/provider/internal/statusapi"
)

// jsonObject is a JSON object read by statusapi.Parse: its values are
// kept as raw text, so that numbers are never turned into float64.
type jsonObject struct{ v statusapi.Value }

// decodeUnique reads a whole body, which must hold exactly one JSON object
// naming no member twice at any depth, in one pass (statusapi.Parse).
// Errors wrap ErrMalformed.
func decodeUnique(b []byte) (jsonObject, error) {
	v, err := statusapi.Parse(b)
	if err != nil {
		return jsonObject{}, fmt.Errorf("decode json: %w: %w", ErrMalformed, err)
	}
	if v.Kind != statusapi.KindObject {
		return jsonObject{}, fmt.Errorf("decode json: not an object: %w", ErrMalformed)
	}
	return jsonObject{v}, nil
}

// object returns the member key as an object. ok is false when the member
// is absent or null; an error wrapping ErrMalformed is returned when it is
// present but not an object.
func (o jsonObject) object(key string) (obj jsonObject, ok bool, err error) {
	m, found := o.v.Member(key)
	switch {
	case !found || m.Kind == statusapi.KindNull:
		return jsonObject{}, false, nil
	case m.Kind != statusapi.KindObject:
		return jsonObject{}, false, fmt.Errorf("field %q: decode json: not an object: %w", key, ErrMalformed)
	}
	return jsonObject{m}, true, nil
}

// scalar returns the member key as text: a JSON string's value or a JSON
// number's exact literal. It returns "" for an absent or null member, and an
// error wrapping ErrMalformed for any other JSON type.
func (o jsonObject) scalar(key string) (string, error) {
	m, found := o.v.Member(key)
	switch {
	case !found || m.Kind == statusapi.KindNull:
		return "", nil
	case m.Kind == statusapi.KindString:
		s, _ := m.Text()
		return s, nil
	case m.Kind == statusapi.KindNumber:
		return string(m.Raw), nil
	default:
		return "", fmt.Errorf("field %q: not a string or number: %w", key, ErrMalformed)
	}
}
