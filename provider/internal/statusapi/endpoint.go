package statusapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Endpoint is the path of a status API below a merchant's base URL, around
// the id of the payment asked about.
type Endpoint struct {
	Prefix string // between the base URL and the id, e.g. "/checkout/"
	Suffix string // after the id, e.g. "/status"; may be ""
	IDName string // what the id is called in errors, e.g. "checkout id"
}

// URL returns {base}{Prefix}{escaped id}{Suffix}, base without its trailing
// slashes. The base must be an absolute http(s) URL without user info, query
// or fragment, and id must not be "", "." or "..". Errors never quote the
// base URL, which might hold secrets.
func (e Endpoint) URL(base, id string) (string, error) {
	if id == "" || id == "." || id == ".." {
		return "", errors.New("status url: invalid " + e.IDName)
	}
	if err := checkBase(base); err != nil {
		return "", fmt.Errorf("status url: %w", err)
	}
	return strings.TrimRight(base, "/") + e.Prefix + url.PathEscape(id) + e.Suffix, nil
}

// checkBase returns why base is not a provider's base URL (an absolute
// http(s) URL without user info, query or fragment), nil when it is one.
// The error never quotes base, which might hold secrets.
func checkBase(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return errors.New("unparsable base URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("base URL is not an absolute http(s) URL")
	}
	if u.User != nil || strings.ContainsAny(base, "?#") {
		return errors.New("base URL has user info, query or fragment")
	}
	return nil
}

// NewPost returns the POST of body as application/json to {base}{path}
// (base without its trailing slashes, checked as URL checks it) for ctx,
// accepting application/json, with the headers given as name, value pairs.
func NewPost(ctx context.Context, base, path string, body []byte, header ...string) (*http.Request, error) {
	if err := checkBase(base); err != nil {
		return nil, fmt.Errorf("post url: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("new request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req, nil
}

// NewRequest returns the GET of URL(base, id) for ctx, accepting
// application/json, with the headers given as name, value pairs (the
// caller's credentials).
func (e Endpoint) NewRequest(ctx context.Context, base, id string, header ...string) (*http.Request, error) {
	u, err := e.URL(base, id)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("new request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req, nil
}

// BasicAuth is the Authorization header's value for user and password
// (RFC 7617), as http.Request.SetBasicAuth sets it.
func BasicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}
