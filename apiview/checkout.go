// Package apiview renders paysync's domain objects as the JSON of the
// external contract, for the HTTP API and the merchant webhooks alike. It
// depends only on store.
package apiview

import (
	"github.com/paysync/paysync/store"
)

// Checkout is the checkout object (README, API; the Checkout schema of handlers/openapi.yaml). The token appears only
// inside return_url and action.redirect_url; merchant id and schedule
// bookkeeping are never shown.
type Checkout struct {
	ID                 string      `json:"id"`
	Provider           string      `json:"provider"`
	Reference          *string     `json:"reference"`
	ProviderRef        *string     `json:"provider_ref"`
	Amount             string      `json:"amount"`
	Currency           string      `json:"currency"`
	SuccessURL         *string     `json:"success_url"`
	CancelURL          *string     `json:"cancel_url"`
	State              store.State `json:"state"`
	Terminal           bool        `json:"terminal"`
	ProviderStatus     *string     `json:"provider_status"`
	Action             *Action     `json:"action"`
	Anomaly            *Anomaly    `json:"anomaly"`
	ResolvedBy         *string     `json:"resolved_by"`
	ReturnURL          string      `json:"return_url"`
	PayURL             *string     `json:"pay_url"` // where the buyer pays (a started checkout); null before, and if only registered
	CallbackReceivedAt *Time       `json:"callback_received_at"`
	LastCheckedAt      *Time       `json:"last_checked_at"`
	NextCheckAt        *Time       `json:"next_check_at"`
	CreatedAt          Time        `json:"created_at"`
	UpdatedAt          Time        `json:"updated_at"`
	Version            int64       `json:"version"`
	// HistoryPurgedAt is when the retention sweep deleted the checkout's
	// events, raw callbacks and delivery attempts; null while kept.
	HistoryPurgedAt *Time `json:"history_purged_at"`
}

// Action is what the buyer must do while a checkout is action_required.
type Action struct {
	RedirectURL string `json:"redirect_url"`
}

// Anomaly is a verdict paysync refused.
type Anomaly struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// CheckoutOf renders c; publicURL (no trailing slash) is the base of
// return_url and action.redirect_url. It is pure: the same checkout and
// URL always give the same object.
func CheckoutOf(c store.Checkout, publicURL string) Checkout {
	pay := publicURL + "/pay/" + c.Token
	out := Checkout{
		ID: c.ID, Provider: c.Provider, Reference: Nullable(c.Reference), ProviderRef: Nullable(c.ProviderRef),
		Amount: c.Amount, Currency: c.Currency, SuccessURL: Nullable(c.SuccessURL), CancelURL: Nullable(c.CancelURL),
		State: c.State, Terminal: c.State.Terminal(), ProviderStatus: Nullable(c.ProviderStatus),
		ResolvedBy: Nullable(c.ResolvedBy), ReturnURL: pay + "/return", PayURL: Nullable(c.PayURL),
		CallbackReceivedAt: UTC(c.CallbackReceivedAt), LastCheckedAt: UTC(c.LastCheckedAt), NextCheckAt: UTC(c.NextCheckAt),
		CreatedAt: At(c.CreatedAt), UpdatedAt: At(c.UpdatedAt), Version: c.Version,
		HistoryPurgedAt: UTC(c.HistoryPurgedAt),
	}
	if c.State == store.StateActionRequired {
		out.Action = &Action{RedirectURL: pay + "/3ds"}
	}
	if c.Anomaly != nil {
		out.Anomaly = &Anomaly{Code: c.Anomaly.Code, Detail: c.Anomaly.Detail}
	}
	return out
}

// Nullable returns nil for "", so it renders as JSON null.
func Nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
