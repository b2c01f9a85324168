package handlers

import (
	"time"

	"github.com/paysync/paysync/store"
)

// checkoutJSON is the checkout object of CONTRACT §3. The token appears
// only inside return_url and action.redirect_url; merchant id and schedule
// bookkeeping are never shown.
type checkoutJSON struct {
	ID                 string       `json:"id"`
	Provider           string       `json:"provider"`
	Reference          *string      `json:"reference"`
	ProviderRef        *string      `json:"provider_ref"`
	Amount             string       `json:"amount"`
	Currency           string       `json:"currency"`
	SuccessURL         *string      `json:"success_url"`
	CancelURL          *string      `json:"cancel_url"`
	State              store.State  `json:"state"`
	Terminal           bool         `json:"terminal"`
	ProviderStatus     *string      `json:"provider_status"`
	Action             *actionJSON  `json:"action"`
	Anomaly            *anomalyJSON `json:"anomaly"`
	ResolvedBy         *string      `json:"resolved_by"`
	ReturnURL          string       `json:"return_url"`
	CallbackReceivedAt *time.Time   `json:"callback_received_at"`
	LastCheckedAt      *time.Time   `json:"last_checked_at"`
	NextCheckAt        *time.Time   `json:"next_check_at"`
	CreatedAt          time.Time    `json:"created_at"`
	UpdatedAt          time.Time    `json:"updated_at"`
	Version            int64        `json:"version"`
}

type actionJSON struct {
	RedirectURL string `json:"redirect_url"`
}

type anomalyJSON struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// eventJSON is one entry of GET /v1/checkouts/{id}/events; empty strings
// are null.
type eventJSON struct {
	ID             int64     `json:"id"`
	At             time.Time `json:"at"`
	Source         string    `json:"source"`
	Type           string    `json:"type"`
	ProviderStatus *string   `json:"provider_status"`
	FromState      *string   `json:"from_state"`
	ToState        *string   `json:"to_state"`
	Detail         *string   `json:"detail"`
}

// checkoutView renders c for the merchant API.
func (s *server) checkoutView(c store.Checkout) checkoutJSON {
	pay := s.cfg.PublicURL + "/pay/" + c.Token
	out := checkoutJSON{
		ID: c.ID, Provider: c.Provider, Reference: nullable(c.Reference), ProviderRef: nullable(c.ProviderRef),
		Amount: c.Amount, Currency: c.Currency, SuccessURL: nullable(c.SuccessURL), CancelURL: nullable(c.CancelURL),
		State: c.State, Terminal: c.State.Terminal(), ProviderStatus: nullable(c.ProviderStatus),
		ResolvedBy: nullable(c.ResolvedBy), ReturnURL: pay + "/return",
		CallbackReceivedAt: utc(c.CallbackReceivedAt), LastCheckedAt: utc(c.LastCheckedAt), NextCheckAt: utc(c.NextCheckAt),
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), Version: c.Version,
	}
	if c.State == store.StateActionRequired {
		out.Action = &actionJSON{RedirectURL: pay + "/3ds"}
	}
	if c.Anomaly != nil {
		out.Anomaly = &anomalyJSON{Code: c.Anomaly.Code, Detail: c.Anomaly.Detail}
	}
	return out
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
		out[i] = eventJSON{ID: e.ID, At: e.At.UTC(), Source: e.Source, Type: e.Type,
			ProviderStatus: nullable(e.ProviderStatus), FromState: nullable(string(e.FromState)),
			ToState: nullable(string(e.ToState)), Detail: nullable(e.Detail)}
	}
	return out
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
