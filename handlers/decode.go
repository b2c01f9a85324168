package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"
)

// normalizer is implemented by request bodies that tidy their fields
// (upper-case a currency …) before validation.
type normalizer interface{ normalize() }

// decodeJSON reads one JSON object from the request body into dst,
// normalizes and validates it. A body that isn't JSON is a 400, a value of the wrong type
// or a failed validation is a 422, an oversized body a 413, a content type
// other than JSON a 415.
func decodeJSON(c echo.Context, dst any) error {
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
			return &apiError{Status: http.StatusUnsupportedMediaType, Slug: "unsupported-media-type",
				Detail: "the request body must be application/json"}
		}
	}
	if err := decodeBody(c.Request().Body, dst); err != nil {
		return err
	}
	return c.Validate(dst)
}

// decodeBody reads exactly one JSON value from r into dst and normalizes
// it; errors are problems as decodeJSON describes.
func decodeBody(r io.Reader, dst any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return decodeError(err)
		}
		return badRequest("the request body must hold a single JSON object")
	}
	if n, ok := dst.(normalizer); ok {
		n.normalize()
	}
	return nil
}

// decodeError classifies a JSON decoding error.
func decodeError(err error) error {
	var he *echo.HTTPError
	var mbe *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge, errors.As(err, &mbe):
		return tooLarge()
	case errors.Is(err, io.EOF):
		return badRequest("the request body is empty; a JSON object is required")
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("the request body is not valid JSON")
	case errors.As(err, &typ) && typ.Field != "":
		return invalid(fieldError{Field: typ.Field, Message: "must be " + jsonKind(typ.Type)})
	case errors.As(err, &typ):
		return badRequest("the request body must be a JSON object")
	}
	return fmt.Errorf("decode request: %w", err)
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == reflect.TypeFor[Amount]() {
		return "a decimal string or number"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	case reflect.Bool:
		return "a boolean"
	}
	return "a number"
}

// Amount is a decimal amount in major units, kept as the exact text the
// client sent: a JSON string ("10.50") or a JSON number (10.50). It is
// never converted to a float.
type Amount string

// UnmarshalJSON accepts a JSON string or number; null leaves it empty.
func (a *Amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = Amount(strings.TrimSpace(s))
		return nil
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*a = Amount(b)
		return nil
	}
	return &json.UnmarshalTypeError{Value: "non-number", Type: reflect.TypeFor[Amount]()}
}
