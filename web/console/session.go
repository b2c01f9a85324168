package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// Cookie names.
const (
	sessionCookie = "paysync_console"
	preCookie     = "paysync_console_pre" // before sign-in: binds the sign-in form's CSRF token
)

// Roles of a session.
const (
	roleOperator = "operator"
	roleMerchant = "merchant"
)

// session is what the signed cookie carries.
type session struct {
	Role       string `json:"r"`
	MerchantID string `json:"m,omitempty"`
	Expires    int64  `json:"e"` // Unix seconds
	Nonce      string `json:"n"` // per session: its CSRF token derives from it
}

// sessionKeys are the HMAC keys of the console, derived from the master
// key and the admin token (changing either ends every session).
type sessionKeys struct {
	session []byte
	csrf    []byte
}

func deriveKeys(master []byte, adminToken string) sessionKeys {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, master)
		m.Write([]byte("paysync console " + label + "\x00"))
		m.Write([]byte(adminToken))
		return m.Sum(nil)
	}
	return sessionKeys{session: derive("session v1"), csrf: derive("csrf v1")}
}

func mac(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// seal returns the cookie value of s: payload.signature, both base64url.
func (k sessionKeys) seal(s session) string {
	raw, _ := json.Marshal(s)
	payload := base64.RawURLEncoding.EncodeToString(raw)
	return payload + "." + base64.RawURLEncoding.EncodeToString(mac(k.session, payload))
}

// open verifies a cookie value and returns its session, unless it is
// forged, malformed or expired at now.
func (k sessionKeys) open(value string, now time.Time) (session, bool) {
	payload, sig, ok := strings.Cut(value, ".")
	if !ok {
		return session{}, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(k.session, payload)) {
		return session{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	var s session
	if err != nil || json.Unmarshal(raw, &s) != nil {
		return session{}, false
	}
	if now.Unix() >= s.Expires || (s.Role != roleOperator && (s.Role != roleMerchant || s.MerchantID == "")) {
		return session{}, false
	}
	return s, true
}

// csrfToken is the CSRF token of forms bound to nonce (a session's, or the
// pre-session cookie's on the sign-in form).
func (k sessionKeys) csrfToken(purpose, nonce string) string {
	return base64.RawURLEncoding.EncodeToString(mac(k.csrf, purpose, nonce))
}

// checkCSRF reports whether token is the CSRF token for nonce, in constant time.
func (k sessionKeys) checkCSRF(purpose, nonce, token string) bool {
	got, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil && nonce != "" && hmac.Equal(got, mac(k.csrf, purpose, nonce))
}

func newNonce() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
