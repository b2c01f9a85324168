package plugin

import "errors"

// Callback is what a provider's callback said. Callbacks are not signed:
// a Callback is a hint to check the status API, never a verdict.
type Callback struct {
	TransactionID string // the merchant's reference
	CheckoutID    string // the provider's id of the checkout
	Status        string // as the provider wrote it, normalized; "" if none
}

// ErrMalformed is wrapped by every error about a body that cannot be
// understood.
var ErrMalformed = errors.New("malformed body")

// ErrNoIdentifier is wrapped by ParseCallback's error when a callback
// parses but names no checkout.
var ErrNoIdentifier = errors.New("no transaction_id or checkout_id")
