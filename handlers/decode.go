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
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// normalizer is implemented by request bodies that tidy their fields
// (upper-case a currency …) before validation.
type normalizer interface{ normalize() }

// decodeJSON reads one JSON object from the request body into dst,
// normalizes and validates it, then adds the field errors of each more
// (checks that need more than the body). A body that isn't JSON is a 400,
// an oversized body a 413, a content type other than JSON a 415; values of
// the wrong type and failed validations are one 422 listing every invalid
// field, each once.
func decodeJSON(c echo.Context, dst any, more ...func() []fieldError) error {
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
			return &apiError{Status: http.StatusUnsupportedMediaType, Slug: "unsupported-media-type",
				Detail: "the request body must be application/json"}
		}
	}
	var fields []fieldError
	if err := decodeBody(c.Request().Body, dst); err != nil {
		ae, ok := err.(*apiError)
		if !ok || ae.Status != http.StatusUnprocessableEntity {
			return err
		}
		fields = ae.Fields // a wrong type: the other fields were decoded, validate them too
	}
	if err := c.Validate(dst); err != nil {
		ae, ok := err.(*apiError)
		if !ok {
			return err
		}
		fields = mergeFields(fields, ae.Fields)
	}
	for _, f := range more {
		fields = mergeFields(fields, f())
	}
	if len(fields) > 0 {
		return invalid(fields...)
	}
	return nil
}

// mergeFields appends to fields the errors of fields not named yet, so
// each invalid field is reported once, by its first error.
func mergeFields(fields, more []fieldError) []fieldError {
	for _, f := range more {
		if !slices.ContainsFunc(fields, func(g fieldError) bool { return g.Field == f.Field }) {
			fields = append(fields, f)
		}
	}
	return fields
}

// decodeBody reads exactly one JSON value from r into dst and normalizes
// it; errors are problems as decodeJSON describes. After a value of the
// wrong type dst still holds the other fields (encoding/json goes on).
func decodeBody(r io.Reader, dst any) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return decodeError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	err = dec.Decode(dst)
	var typ *json.UnmarshalTypeError
	if err != nil && !(errors.As(err, &typ) && typ.Field != "") {
		return decodeError(err)
	}
	if _, tErr := dec.Token(); !errors.Is(tErr, io.EOF) {
		if tErr != nil {
			return decodeError(tErr)
		}
		return badRequest("the request body must hold a single JSON object")
	}
	if n, ok := dst.(normalizer); ok {
		n.normalize()
	}
	if err != nil {
		return decodeError(err)
	}
	if nulls := nullFields(body, reflect.TypeOf(dst), ""); len(nulls) > 0 {
		return invalid(nulls...)
	}
	return nil
}

// nullFields lists the members of the JSON object body that are null where
// t's field is not nullable (not a pointer, slice, map or interface): the
// OpenAPI file says string (or number …) there, and encoding/json would
// silently take null as the zero value, as if the member were absent. It
// looks into nested objects the same way; prefix names the enclosing one.
func nullFields(body []byte, t reflect.Type, prefix string) []fieldError {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var members map[string]json.RawMessage
	if t.Kind() != reflect.Struct || json.Unmarshal(body, &members) != nil {
		return nil
	}
	var out []fieldError
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		raw, ok := members[name]
		if name == "" || name == "-" || !ok {
			continue
		}
		switch {
		case string(bytes.TrimSpace(raw)) == "null" && !acceptsNull(f.Type):
			out = append(out, fieldError{Field: prefix + name, Message: "must be " + jsonKind(f.Type) + ", not null"})
		case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct:
			out = append(out, nullFields(raw, f.Type, prefix+name+".")...)
		}
	}
	return out
}

// acceptsNull reports whether JSON null means something for a field of type t.
func acceptsNull(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return true
	}
	return false
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
		*a = Amount(s) // as sent: " 10" is not an amount
		return nil
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*a = Amount(b)
		return nil
	}
	// true, an object …: kept as text so that validation names the field
	// among the others (it is no decimal).
	*a = Amount(b)
	return nil
}
