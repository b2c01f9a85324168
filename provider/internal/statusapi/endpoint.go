package statusapi

import (
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
	u, err := url.Parse(base)
	if err != nil {
		return "", errors.New("status url: unparsable base URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New("status url: base URL is not an absolute http(s) URL")
	}
	if u.User != nil || strings.ContainsAny(base, "?#") {
		return "", errors.New("status url: base URL has user info, query or fragment")
	}
	return strings.TrimRight(base, "/") + e.Prefix + url.PathEscape(id) + e.Suffix, nil
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
