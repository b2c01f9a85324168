package handlers

import (
	"github.com/paysync/paysync/apiview"
	"github.com/paysync/paysync/store"
)

// checkoutJSON is the checkout object (README, API; the Checkout schema of openapi.yaml), rendered by apiview
// (shared with the merchant webhooks).
type checkoutJSON = apiview.Checkout

// eventJSON is one entry of GET /v1/checkouts/{id}/events; empty strings
// are null.
type eventJSON struct {
	ID             int64        `json:"id"`
	At             apiview.Time `json:"at"`
	Source         string       `json:"source"`
	Type           string       `json:"type"`
	ProviderStatus *string      `json:"provider_status"`
	FromState      *string      `json:"from_state"`
	ToState        *string      `json:"to_state"`
	Detail         *string      `json:"detail"`
	// Count is how many identical consecutive status checks the entry
	// stands for, LastAt when the last was seen (null when Count is 1).
	Count  int           `json:"count"`
	LastAt *apiview.Time `json:"last_at"`
}

// checkoutView renders c for the merchant API.
func (s *server) checkoutView(c store.Checkout) checkoutJSON {
	return apiview.CheckoutOf(c, s.cfg.PublicURL)
}

func (s *server) checkoutViews(cs []store.Checkout) []checkoutJSON {
	out := make([]checkoutJSON, len(cs))
	for i, c := range cs {
		out[i] = s.checkoutView(c)
	}
	return out
}

func eventViews(es []store.Event) []eventJSON {
	out := make([]eventJSON, len(es))
	for i, e := range es {
		out[i] = eventJSON{ID: e.ID, At: apiview.At(e.At), Source: e.Source, Type: e.Type,
			ProviderStatus: nullable(e.ProviderStatus), FromState: nullable(string(e.FromState)),
			ToState: nullable(string(e.ToState)), Detail: nullable(e.Detail), Count: max(e.Count, 1), LastAt: apiview.UTC(e.LastAt)}
	}
	return out
}
