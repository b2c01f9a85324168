package payunit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/paysync/paysync/provider/internal/statusapi"
	"github.com/paysync/paysync/provider/plugin"
)

// initializePath is PayUnit's "initialize a payment" call below the base URL.
const initializePath = "/api/gateway/initialize"

// maxMessage bounds PayUnit's message kept from an answer, in runes.
const maxMessage = 300

// initializeBody is the JSON body of the initialize call, its members in
// PayUnit's order; the last three are sent only when given.
type initializeBody struct {
	TotalAmount    json.Number `json:"total_amount"` // a JSON number, the currency's units
	Currency       string      `json:"currency"`
	TransactionID  string      `json:"transaction_id"`
	NotifyURL      string      `json:"notify_url"`
	ReturnURL      string      `json:"return_url"`
	Description    string      `json:"description,omitempty"`
	PaymentCountry string      `json:"payment_country,omitempty"`
	PayWith        string      `json:"pay_with,omitempty"`
}

// Initialized is what an answer of the initialize call said.
type Initialized struct {
	// StatusCode is the body's statusCode (PayUnit repeats the HTTP code
	// there; a refusal may come as an HTTP 200 with another code).
	StatusCode int
	// Message is the body's message, trimmed, control characters
	// dropped, at most 300 runes; "" if none.
	Message string
	// PayURL is data.transaction_url, the page the buyer pays on; set
	// whenever StatusCode is 200.
	PayURL string
	// CheckoutID is data.checkout_id, PayUnit's id of the checkout (the
	// one its status API and callbacks use), "" if the answer has none.
	// The other ids an answer may carry (t_id, data.transaction_id) are
	// not documented as what the status API takes, so they are not kept.
	CheckoutID string
}

// ParseInitialize parses the body of an answer of the initialize call, in
// one pass that also refuses duplicate member names (statusapi.Parse).
// The body must be a JSON object with an integer statusCode (a JSON
// number or a string of digits); a statusCode of 200 needs a "data" object
// whose transaction_url is an absolute http(s) URL. Any other shape is an
// error wrapping ErrMalformed.
func ParseInitialize(body []byte) (Initialized, error) {
	top, err := decodeUnique(body)
	if err != nil {
		return Initialized{}, fmt.Errorf("parse initialize: %w", err)
	}
	var r Initialized
	code, err := top.scalar("statusCode")
	if err != nil {
		return Initialized{}, fmt.Errorf("parse initialize: %w", err)
	}
	if r.StatusCode, err = strconv.Atoi(code); err != nil || r.StatusCode < 100 || r.StatusCode > 999 {
		return Initialized{}, fmt.Errorf("parse initialize: statusCode %q: %w", code, ErrMalformed)
	}
	msg, _ := top.scalar("message") // informational only: ignore odd types
	r.Message = cleanMessage(msg)
	if r.StatusCode != http.StatusOK {
		return r, nil
	}
	data, ok, err := top.object("data")
	if err != nil {
		return Initialized{}, fmt.Errorf("parse initialize: %w", err)
	}
	if !ok {
		return Initialized{}, fmt.Errorf("parse initialize: no data object: %w", ErrMalformed)
	}
	if r.PayURL, err = data.scalar("transaction_url"); err != nil {
		return Initialized{}, fmt.Errorf("parse initialize: %w", err)
	}
	if u, err := url.Parse(r.PayURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Initialized{}, fmt.Errorf("parse initialize: data.transaction_url is not an absolute http(s) URL: %w", ErrMalformed)
	}
	id, err := data.scalar("checkout_id")
	if err != nil {
		return Initialized{}, fmt.Errorf("parse initialize: %w", err)
	}
	r.CheckoutID = strings.TrimSpace(id)
	return r, nil
}

// cleanMessage is s trimmed, without control characters, at most
// maxMessage runes: PayUnit's words, safe to show the merchant.
func cleanMessage(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > maxMessage {
		s = string(r[:maxMessage]) + "…"
	}
	return s
}

// Start starts the payment r at PayUnit with
// POST {BaseURL}/api/gateway/initialize, authenticated as Status is. The
// outcome is in the result, never an error:
//   - StartOK: an answer with statusCode 200 and data.transaction_url;
//   - StartRefused: a 4xx (but 408, 425, 429), or a 2xx whose statusCode
//     is neither 200 nor 5xx, with PayUnit's message; also a request that
//     can't be built (nothing was sent);
//   - StartUnknown: no answer, a timeout, a 3xx, 408, 425, 429, a 5xx (in
//     the HTTP status or the body's statusCode), a body over the read
//     bound or one ParseInitialize refuses: PayUnit may have created the
//     payment.
func (c *Client) Start(ctx context.Context, creds Credentials, r plugin.StartRequest) plugin.Started {
	body, err := json.Marshal(initializeBody{TotalAmount: json.Number(r.Amount), Currency: r.Currency,
		TransactionID: r.Reference, NotifyURL: r.NotifyURL, ReturnURL: r.ReturnURL,
		Description: r.Description, PaymentCountry: r.PaymentCountry, PayWith: r.PayWith})
	if err != nil {
		return plugin.Started{Outcome: plugin.StartRefused, Failure: "build request"}
	}
	resp, f := statusapi.Client(*c).Send(ctx, func(ctx context.Context) (*http.Request, error) {
		return statusapi.NewPost(ctx, creds.BaseURL, initializePath, body, "x-api-key", creds.APIKey, "mode", creds.Mode,
			"Authorization", statusapi.BasicAuth(creds.APIUser, creds.APIPassword))
	})
	if f != nil {
		return startFailure(f)
	}
	in, err := ParseInitialize(resp.Body)
	switch {
	case err != nil:
		return plugin.Started{Outcome: plugin.StartUnknown, HTTPStatus: resp.StatusCode, Failure: "malformed initialize response"}
	case in.StatusCode == http.StatusOK:
		return plugin.Started{Outcome: plugin.StartOK, PayURL: in.PayURL, ProviderRef: in.CheckoutID, HTTPStatus: resp.StatusCode}
	case in.StatusCode >= 500:
		return plugin.Started{Outcome: plugin.StartUnknown, HTTPStatus: resp.StatusCode, Message: in.Message,
			Failure: fmt.Sprintf("statusCode %d", in.StatusCode)}
	}
	return plugin.Started{Outcome: plugin.StartRefused, HTTPStatus: resp.StatusCode, Message: in.Message,
		Failure: fmt.Sprintf("statusCode %d", in.StatusCode)}
}

// startFailure is the outcome of an initialize call that gave no 2xx
// body: a refusal for a 4xx that isn't PayUnit pacing us (with the
// message of its body, when it has one) and for a request that couldn't
// be built; no usable answer otherwise.
func startFailure(f *statusapi.Failure) plugin.Started {
	s := plugin.Started{Outcome: plugin.StartUnknown, HTTPStatus: f.HTTPStatus, Failure: f.Detail}
	built := f.HTTPStatus != 0 || f.Class != statusapi.Rejected // Send's only Rejected without an answer: build request
	refused := !built || (f.HTTPStatus >= 400 && f.HTTPStatus < 500 && f.Class != statusapi.Transient)
	if !refused {
		return s
	}
	s.Outcome = plugin.StartRefused
	if top, err := decodeUnique(f.Body); err == nil {
		msg, _ := top.scalar("message")
		s.Message = cleanMessage(msg)
	}
	return s
}

// start is PayUnit's plugin.StartFunc.
func start(ctx context.Context, hc *http.Client, acct plugin.Account, r plugin.StartRequest) plugin.Started {
	return New(hc).Start(ctx, Credentials{BaseURL: acct.BaseURL, APIUser: acct.APIUser,
		APIPassword: acct.APIPassword, APIKey: acct.APIKey, Mode: acct.Mode}, r)
}
