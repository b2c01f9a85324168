package apiview

import (
	"encoding/json"
	"fmt"

	"github.com/paysync/paysync/store"
)

// WebhookEvent is the body of a merchant webhook (docs/architecture.md, "Webhooks"): the event
// type and the checkout at the version that caused it.
type WebhookEvent struct {
	Type string   `json:"type"`
	Data Checkout `json:"data"`
}

// WebhookBody renders the body of delivery d for a service reachable at
// publicURL. It is deterministic, so a body rendered again for a retry is
// byte for byte the one signed before.
func WebhookBody(d store.Delivery, publicURL string) ([]byte, error) {
	b, err := json.Marshal(WebhookEvent{Type: d.Type, Data: CheckoutOf(d.Checkout, publicURL)})
	if err != nil {
		return nil, fmt.Errorf("render webhook %s: %w", d.ID, err)
	}
	return b, nil
}
