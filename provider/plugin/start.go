package plugin

import (
	"context"
	"net/http"
)

// StartFunc starts a payment at a provider (Descriptor.Start): it sends
// the provider's request with hc (a guarded client from the wiring; nil
// means the provider's default client) and the merchant's account acct,
// and reports the outcome. Failures are reported in Started, never as
// errors.
type StartFunc func(ctx context.Context, hc *http.Client, acct Account, r StartRequest) Started

// StartRequest is a payment to start: what the merchant registered, and
// where the provider sends its callback and the buyer's browser.
type StartRequest struct {
	// Reference is the merchant's reference of the checkout (PayUnit's
	// transaction_id): letters and digits only.
	Reference string
	// Amount is the registered amount, a canonical decimal in the
	// currency's units ("2500", "10.5"), as the store keeps it.
	Amount   string
	Currency string
	// NotifyURL is where the provider sends its callbacks: paysync's
	// hook URL of the merchant.
	NotifyURL string
	// ReturnURL is where the provider sends the buyer back: the
	// checkout's return page at paysync.
	ReturnURL string
	// Description, PaymentCountry and PayWith are sent only when given.
	Description    string
	PaymentCountry string // ISO 3166-1 alpha-2, e.g. CM
	PayWith        string // the provider's payment method, e.g. CM_MTNMOMO
}

// StartOutcome is how a start ended.
type StartOutcome string

// The outcomes of a start.
const (
	// StartOK: the provider created the payment and gave the page the
	// buyer pays on (Started.PayURL).
	StartOK StartOutcome = "started"
	// StartRefused: the provider answered and refused the payment (a
	// 4xx, or an answer saying it failed); nothing was created.
	StartRefused StartOutcome = "refused"
	// StartUnknown: no usable answer (no connection, timeout, 5xx, a
	// garbled body): the provider may or may not have created the payment.
	StartUnknown StartOutcome = "unknown"
)

// Started is a provider's answer to a start, in paysync's terms.
type Started struct {
	Outcome StartOutcome
	// PayURL is the provider's page for the buyer (StartOK).
	PayURL string
	// ProviderRef is the provider's id of the checkout, when the answer
	// carries one the status API knows it by; "" otherwise.
	ProviderRef string
	// Message is the provider's own words for a refusal (StartRefused),
	// trimmed and bounded; "" when it gave none.
	Message string
	// HTTPStatus is the answer's status code, 0 when none came.
	HTTPStatus int
	// Failure is a short, safe text on what went wrong (StartRefused,
	// StartUnknown): "send request", "server error" …
	Failure string
}
