package handlers

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/apiview"
	"github.com/paysync/paysync/providers"
	"github.com/paysync/paysync/store"
)

// merchantRequest is the body of POST /admin/v1/merchants (README, API).
type merchantRequest struct {
	Name        string          `json:"name" validate:"required,max=200,printable"`
	WebhookURL  string          `json:"webhook_url" validate:"omitempty,max=2048,httpurl,publichost"`
	ReturnHosts []string        `json:"return_hosts" validate:"max=50,dive,required,max=253,hostname_rfc1123|ip"`
	PayUnit     *payunitRequest `json:"payunit" validate:"omitempty"`
	Azotte      *azotteRequest  `json:"azotte" validate:"omitempty"`
}

// payunitRequest and azotteRequest are the accounts of a merchant
// document: the base URL's form is checked here, the same for every
// provider; the rest by the provider's CheckAccount (accountErrors).
type payunitRequest struct {
	BaseURL     string `json:"base_url" validate:"required,max=2048,httpurl,publichost"`
	APIUser     string `json:"api_user"`
	APIPassword string `json:"api_password"`
	APIKey      string `json:"api_key"`
	Mode        string `json:"mode"`
}

type azotteRequest struct {
	BaseURL  string `json:"base_url" validate:"required,max=2048,httpurl,publichost"`
	TenantID string `json:"tenant_id"`
	APIKey   string `json:"api_key"`
}

// MerchantJSON is the merchant object of the admin API (README, API).
// APIKey and WebhookSecret are set only when the merchant is created.
type MerchantJSON struct {
	ID               string       `json:"id"`
	Name             string       `json:"name"`
	WebhookURL       *string      `json:"webhook_url"`
	ReturnHosts      []string     `json:"return_hosts"`
	PayUnit          *payunitJSON `json:"payunit"`
	Azotte           *azotteJSON  `json:"azotte"`
	PayUnitNotifyURL string       `json:"payunit_notify_url"`
	// WebhookDisabledAt is when the endpoint answered 410 Gone; null while enabled.
	WebhookDisabledAt *apiview.Time `json:"webhook_disabled_at"`
	CreatedAt         apiview.Time  `json:"created_at"`
	APIKey            string        `json:"api_key,omitempty"`
	WebhookSecret     string        `json:"webhook_secret,omitempty"`
}

type payunitJSON struct {
	BaseURL string `json:"base_url"`
	Mode    string `json:"mode"`
}

type azotteJSON struct {
	BaseURL string `json:"base_url"`
}

// createMerchant handles POST /admin/v1/merchants: 201 with the merchant
// and its secrets, shown this once.
func (s *server) createMerchant(c echo.Context) error {
	var req merchantRequest
	if err := decodeJSON(c, &req, func() []fieldError { return req.accountErrors() }); err != nil {
		return err
	}
	created, err := s.cfg.Store.CreateMerchant(c.Request().Context(), req.newMerchant())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, CreatedMerchantJSON(created, s.cfg.PublicURL))
}

// getMerchant handles GET /admin/v1/merchants/:id, without secrets.
func (s *server) getMerchant(c echo.Context) error {
	m, err := s.cfg.Store.Merchant(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, merchantView(m, s.cfg.PublicURL))
}

// accountErrors returns what each provider's Descriptor.CheckAccount finds
// wrong with the merchant's account there, each field named under the
// provider ("payunit.mode").
func (r merchantRequest) accountErrors() []fieldError {
	nm := r.newMerchant()
	m := store.Merchant{PayUnit: nm.PayUnit, Azotte: nm.Azotte}
	var errs []fieldError
	for _, p := range providers.All() {
		acct, ok := p.Account(m)
		if !ok || p.CheckAccount == nil {
			continue
		}
		for _, fe := range p.CheckAccount(acct) {
			errs = append(errs, fieldError{p.Name + "." + fe.Field, fe.Message})
		}
	}
	return errs
}

func (r merchantRequest) newMerchant() store.NewMerchant {
	hosts := make([]string, len(r.ReturnHosts))
	for i, h := range r.ReturnHosts {
		hosts[i] = strings.ToLower(h)
	}
	m := store.NewMerchant{Name: r.Name, WebhookURL: r.WebhookURL, ReturnHosts: hosts}
	if p := r.PayUnit; p != nil {
		m.PayUnit = &store.PayUnitAccount{BaseURL: strings.TrimRight(p.BaseURL, "/"), Mode: p.Mode,
			APIUser: p.APIUser, APIPassword: p.APIPassword, APIKey: p.APIKey}
	}
	if a := r.Azotte; a != nil {
		m.Azotte = &store.AzotteAccount{BaseURL: strings.TrimRight(a.BaseURL, "/"), TenantID: a.TenantID, APIKey: a.APIKey}
	}
	return m
}

// CreatedMerchantJSON renders a new merchant with its secrets, as the
// admin API answers its creation; publicURL is the base of
// payunit_notify_url.
func CreatedMerchantJSON(m store.CreatedMerchant, publicURL string) MerchantJSON {
	out := merchantView(m.Merchant, publicURL)
	out.APIKey, out.WebhookSecret = m.APIKey, m.WebhookSecret
	return out
}

// DecodeMerchant parses and validates a merchant document, the body of
// POST /admin/v1/merchants, for callers outside HTTP (paysync merchant
// create). allowPrivateURLs is as Config.AllowPrivateURLs. A body that is
// not one JSON object, or has invalid fields, is an error naming them.
func DecodeMerchant(body []byte, allowPrivateURLs bool) (store.NewMerchant, error) {
	var req merchantRequest
	if err := decodeBody(bytes.NewReader(body), &req); err != nil {
		return store.NewMerchant{}, fmt.Errorf("decode merchant: %w", err)
	}
	var fields []fieldError
	if err := newValidator(allowPrivateURLs).Validate(&req); err != nil {
		ae, ok := err.(*apiError)
		if !ok {
			return store.NewMerchant{}, fmt.Errorf("decode merchant: %w", err)
		}
		fields = ae.Fields
	}
	if fields = mergeFields(fields, req.accountErrors()); len(fields) > 0 {
		return store.NewMerchant{}, fmt.Errorf("decode merchant: %w", invalid(fields...))
	}
	return req.newMerchant(), nil
}

func merchantView(m store.Merchant, publicURL string) MerchantJSON {
	out := MerchantJSON{ID: m.ID, Name: m.Name, WebhookURL: nullable(m.WebhookURL), ReturnHosts: m.ReturnHosts,
		PayUnitNotifyURL: hookURL(strings.TrimRight(publicURL, "/"), "payunit", m.HookToken), CreatedAt: apiview.At(m.CreatedAt),
		WebhookDisabledAt: apiview.UTC(m.WebhookDisabledAt)}
	if out.ReturnHosts == nil {
		out.ReturnHosts = []string{}
	}
	if m.PayUnit != nil {
		out.PayUnit = &payunitJSON{BaseURL: m.PayUnit.BaseURL, Mode: m.PayUnit.Mode}
	}
	if m.Azotte != nil {
		out.Azotte = &azotteJSON{BaseURL: m.Azotte.BaseURL}
	}
	return out
}

// nullable returns nil for "", so it renders as JSON null.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
