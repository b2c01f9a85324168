package handlers

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
)

// problemBase prefixes every problem type URI.
const problemBase = "https://paysync.dev/problems/"

// problem is an RFC 9457 problem details document.
type problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail"`
	Errors []fieldError `json:"errors,omitempty"`
	// CheckoutID names the checkout a failed start registered (502 of
	// POST /v1/checkouts with start).
	CheckoutID string `json:"checkout_id,omitempty"`
}

// fieldError names one invalid request field by its JSON name.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// apiError is an error a handler answers with directly; its Detail is
// safe to show.
type apiError struct {
	Status int
	Slug   string
	Detail string
	Fields []fieldError
	// CheckoutID, when set, is shown as the problem's checkout_id.
	CheckoutID string
}

// Error returns the slug, the detail and any field errors.
func (e *apiError) Error() string {
	s := e.Slug + ": " + e.Detail
	for i, f := range e.Fields {
		sep := "; "
		if i == 0 {
			sep = ": "
		}
		s += sep + f.Field + " " + f.Message
	}
	return s
}

// invalid returns a 422 carrying field errors.
func invalid(fields ...fieldError) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Slug: "validation-failed",
		Detail: "the request has invalid fields", Fields: fields}
}

func badRequest(detail string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Slug: "malformed-request", Detail: detail}
}

func notFound(detail string) *apiError {
	return &apiError{Status: http.StatusNotFound, Slug: "not-found", Detail: detail}
}

func unauthorized(detail string) *apiError {
	return &apiError{Status: http.StatusUnauthorized, Slug: "unauthorized", Detail: detail}
}

func tooLarge() *apiError {
	return &apiError{Status: http.StatusRequestEntityTooLarge, Slug: "payload-too-large",
		Detail: "the request body is too large"}
}

// storeProblem maps a store error code to an HTTP status and problem
// slug; ok is false for EINTERNAL and unknown codes.
func storeProblem(code string) (status int, slug string, ok bool) {
	switch code {
	case store.ENOTFOUND:
		return http.StatusNotFound, "not-found", true
	case store.ECONFLICT:
		return http.StatusConflict, "conflict", true
	case store.EINVALID:
		return http.StatusUnprocessableEntity, "validation-failed", true
	case store.ECONFIG:
		return http.StatusServiceUnavailable, "not-configured", true
	case store.ELIMIT:
		return http.StatusTooManyRequests, "too-many-requests", true
	}
	return 0, "", false
}

// echoSlug names the problem of one of Echo's own errors (unknown route,
// 405, 413 …).
func echoSlug(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "malformed-request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusNotFound:
		return "not-found"
	case http.StatusMethodNotAllowed:
		return "method-not-allowed"
	case http.StatusRequestEntityTooLarge:
		return "payload-too-large"
	case http.StatusUnsupportedMediaType:
		return "unsupported-media-type"
	}
	return "http-error"
}

// handleError is Echo's HTTPErrorHandler: the one place where errors
// become problem+json responses. Internal errors are logged and shown to
// the client only as "internal error".
func (s *server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := s.problemFor(err, c)
	if wait, ok := store.RetryAfter(err); ok && p.Status == http.StatusTooManyRequests {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	}
	body, mErr := json.Marshal(p)
	if mErr != nil {
		s.log.Error("encode problem", "err", mErr)
		return
	}
	// A HEAD gets the same headers; headAsGet drops the body.
	if err := c.Blob(p.Status, "application/problem+json", body); err != nil {
		s.log.Error("write problem", "err", err)
	}
}

func (s *server) problemFor(err error, c echo.Context) problem {
	var ae *apiError
	var he *echo.HTTPError
	var mbe *http.MaxBytesError
	storeStatus, storeSlug, isStoreErr := storeProblem(store.ErrorCode(err))
	switch {
	case errors.As(err, &ae):
		p := newProblem(ae.Status, ae.Slug, ae.Detail, ae.Fields)
		p.CheckoutID = ae.CheckoutID
		return p
	case errors.As(err, &mbe):
		return s.problemFor(tooLarge(), c)
	case isStoreErr:
		return newProblem(storeStatus, storeSlug, store.ErrorMessage(err), nil)
	case errors.As(err, &he) && he.Code < 500:
		detail := http.StatusText(he.Code)
		if msg, ok := he.Message.(string); ok && msg != "" {
			detail = msg
		}
		return newProblem(he.Code, echoSlug(he.Code), detail, nil)
	}
	s.log.Error("request failed", "method", c.Request().Method, "path", logPath(c),
		"request_id", c.Response().Header().Get(echo.HeaderXRequestID), "err", err)
	return newProblem(http.StatusInternalServerError, "internal", "internal error", nil)
}

func newProblem(status int, slug, detail string, fields []fieldError) problem {
	return problem{Type: problemBase + slug, Title: http.StatusText(status), Status: status,
		Detail: detail, Errors: fields}
}
