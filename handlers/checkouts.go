package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/apiview"
	"github.com/paysync/paysync/providers"
	"github.com/paysync/paysync/store"
)

// maxIdempotencyKey is the longest Idempotency-Key header accepted.
const maxIdempotencyKey = 255

// checkoutRequest is the body of POST /v1/checkouts (README, API; openapi.yaml).
type checkoutRequest struct {
	Provider    string `json:"provider" validate:"required"` // one of the registry's (checkFor)
	Reference   string `json:"reference" validate:"max=128,printable"`
	ProviderRef string `json:"provider_ref" validate:"max=128,printable"`
	Amount      Amount `json:"amount" validate:"required,max=64"`
	Currency    string `json:"currency" validate:"required,iso4217"`
	SuccessURL  string `json:"success_url" validate:"omitempty,max=2048,httpurl"`
	CancelURL   string `json:"cancel_url" validate:"omitempty,max=2048,httpurl"`
	// Start asks paysync to start the payment at the provider after the
	// registration (CONTRACT §12, startCheckout); the fields below are
	// sent to the provider then, and ignored without it.
	Start          bool   `json:"start"`
	Description    string `json:"description" validate:"max=255,printable"`
	PaymentCountry string `json:"payment_country" validate:"omitempty,iso3166_1_alpha2"`
	PayWith        string `json:"pay_with" validate:"max=64,printable"`
}

func (r *checkoutRequest) normalize() {
	r.Provider = strings.ToLower(strings.TrimSpace(r.Provider))
	r.Currency = strings.ToUpper(strings.TrimSpace(r.Currency))
	r.PaymentCountry = strings.ToUpper(strings.TrimSpace(r.PaymentCountry))
}

// checkFor returns the field errors that depend on the merchant or on
// more than one field: a registered provider the merchant has an account
// with, the identifier that provider needs (providerFields), an amount the
// currency can hold (store.AmountIn), and return URLs on the merchant's
// return hosts.
func (r *checkoutRequest) checkFor(m store.Merchant) []fieldError {
	errs := mergeFields(r.providerFields(m), r.startFields())
	if _, err := store.AmountIn(string(r.Amount), r.Currency); err != nil && r.Amount != "" {
		field := "amount"
		if errors.Is(err, store.ErrUnknownCurrency) {
			field = "currency"
		}
		errs = append(errs, fieldError{field, store.ErrorMessage(err)})
	}
	for field, raw := range map[string]string{"success_url": r.SuccessURL, "cancel_url": r.CancelURL} {
		if u, err := url.Parse(raw); raw != "" && err == nil && !slices.Contains(m.ReturnHosts, strings.ToLower(u.Hostname())) {
			errs = append(errs, fieldError{field, "host " + u.Hostname() + " is not one of the merchant's return_hosts"})
		}
	}
	slices.SortFunc(errs, func(a, b fieldError) int { return strings.Compare(a.Field, b.Field) })
	return errs
}

// providerFields returns the field errors about the provider: one the
// registry knows, which the merchant has an account with, and the
// identifier it registers checkouts by (Descriptor.Registration).
func (r *checkoutRequest) providerFields(m store.Merchant) []fieldError {
	if r.Provider == "" {
		return nil // "is required"
	}
	p, ok := providers.Lookup(r.Provider)
	if !ok {
		return []fieldError{{"provider", "must be one of: " + strings.Join(providers.Names(), ", ")}}
	}
	var errs []fieldError
	if _, ok := p.Account(m); !ok {
		errs = append(errs, fieldError{"provider", "the merchant has no " + p.Name + " account configured"})
	}
	if p.Registration.NeedsReference && r.Reference == "" && !(r.Start && p.Start != nil) { // a start generates one
		errs = append(errs, fieldError{"reference", "is required for this provider"})
	}
	if p.Registration.NeedsProviderRef && r.ProviderRef == "" {
		errs = append(errs, fieldError{"provider_ref", "is required for this provider"})
	}
	return errs
}

// createCheckout handles POST /v1/checkouts: 201 for a new checkout, 200
// for the same registration again, 409 when it disagrees. A new checkout
// wakes the poller; callbacks that came before the registration make it
// due at once. With start, a checkout waiting for its start (new, or an
// earlier start without a usable answer) is then started (startCheckout).
func (s *server) createCheckout(c echo.Context) error {
	m := merchantOf(c)
	idem := c.Request().Header.Get("Idempotency-Key")
	if len(idem) > maxIdempotencyKey {
		return invalid(fieldError{"Idempotency-Key", fmt.Sprintf("must be at most %d characters", maxIdempotencyKey)})
	}
	var req checkoutRequest
	if err := decodeJSON(c, &req, func() []fieldError { return req.checkFor(m) }); err != nil {
		return err
	}
	if req.Start {
		var err error
		if m, err = s.prepareStart(c.Request().Context(), m, &req, idem); err != nil {
			return err
		}
	}
	ck, created, err := s.cfg.Store.RegisterCheckout(c.Request().Context(), store.NewCheckout{
		MerchantID: m.ID, Provider: req.Provider, Reference: req.Reference, ProviderRef: req.ProviderRef,
		Amount: string(req.Amount), Currency: req.Currency, SuccessURL: req.SuccessURL, CancelURL: req.CancelURL,
		IdempotencyKey: idem, Start: req.Start, FirstCheckAt: s.firstCheckAt(req.Provider),
	})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		// A new checkout changes the schedule: due now if early callbacks
		// were attached, else at FirstCheckAt, which may be sooner than
		// the poller's idle sleep. Waking lets it re-read the schedule.
		s.cfg.Waker.Wake()
		status = http.StatusCreated
	}
	if req.Start && needsStart(ck) {
		return s.startOnce(c, m, req, ck, status)
	}
	return s.renderCheckout(c, status, ck)
}

// firstCheckAt is when a new checkout of the provider called name is
// first checked: its Descriptor's FirstCheck rule (after the poll grace
// for a provider whose callback usually comes first, at once for one whose
// answer is needed now). name was validated (providerFields).
func (s *server) firstCheckAt(name string) time.Time {
	p, _ := providers.Lookup(name)
	return p.FirstCheck(s.cfg.Now(), s.cfg.PollGrace)
}

// getCheckout handles GET /v1/checkouts/:id, honouring If-None-Match;
// with ?wait= it long-polls (waitCheckout).
func (s *server) getCheckout(c echo.Context) error {
	if c.QueryParams().Has("wait") {
		return s.waitCheckout(c)
	}
	e, err := s.readCheckout(c.Request().Context(), merchantOf(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return s.renderEncoded(c, http.StatusOK, e)
}

// readCheckout returns the merchant's checkout encoded, from the cache
// when Config.Reads allows it (after a check of its revision with
// ReadsValidated), else from the store, filling the cache. Another
// merchant's checkout is ENOTFOUND, as in the store.
func (s *server) readCheckout(ctx context.Context, merchantID, id string) (*cachedCheckout, error) {
	var gen uint64
	if s.reads != nil {
		if e, ok, err := s.cachedCheckout(ctx, merchantID, id); ok || err != nil {
			return e, err
		}
		gen = s.reads.gen(id)
	}
	ck, err := s.cfg.Store.Checkout(ctx, merchantID, id)
	if err != nil {
		return nil, err
	}
	e, err := s.encodeCached(ck)
	if err == nil && s.reads != nil {
		s.reads.put(id, gen, e)
	}
	return e, err
}

// cachedCheckout returns the cache's entry for the merchant's checkout
// when it may be served: always with ReadsFromFeed, after a read of its
// revision found it current with ReadsValidated.
func (s *server) cachedCheckout(ctx context.Context, merchantID, id string) (*cachedCheckout, bool, error) {
	e, ok := s.reads.get(merchantID, id)
	if !ok || s.cfg.Reads != ReadsValidated {
		return e, ok, nil
	}
	rev, err := s.cfg.Store.CheckoutRev(ctx, merchantID, id)
	if err != nil {
		return nil, false, err
	}
	return e, rev == e.rev, nil
}

// listCheckouts handles GET /v1/checkouts: newest first, paginated.
func (s *server) listCheckouts(c echo.Context) error {
	f, err := checkoutFilter(c.QueryParams())
	if err != nil {
		return err
	}
	cs, next, err := s.cfg.Store.ListCheckouts(c.Request().Context(), merchantOf(c).ID, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Data       []checkoutJSON `json:"data"`
		NextCursor *string        `json:"next_cursor"`
	}{s.checkoutViews(cs), nullable(next)})
}

// checkoutFilter parses the list's query: reference, provider_ref, state,
// limit (1..500) and cursor.
func checkoutFilter(q url.Values) (store.CheckoutFilter, error) {
	f := store.CheckoutFilter{Reference: q.Get("reference"), ProviderRef: q.Get("provider_ref"),
		State: store.State(q.Get("state")), Cursor: q.Get("cursor")}
	var errs []fieldError
	if f.State != "" && !f.State.Valid() {
		errs = append(errs, fieldError{"state", "must be one of: pending, action_required, succeeded, failed, cancelled, expired"})
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			errs = append(errs, fieldError{"limit", "must be an integer from 1 to 500"})
		}
		f.Limit = n
	}
	if len(errs) > 0 {
		return f, invalid(errs...)
	}
	return f, nil
}

// listEvents handles GET /v1/checkouts/:id/events, oldest first, and
// says when the retention sweep purged the history before them.
func (s *server) listEvents(c echo.Context) error {
	ctx, merchant := c.Request().Context(), merchantOf(c).ID
	ck, err := s.cfg.Store.Checkout(ctx, merchant, c.Param("id"))
	if err != nil {
		return err
	}
	es, err := s.cfg.Store.Events(ctx, merchant, ck.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Data            []eventJSON   `json:"data"`
		HistoryPurgedAt *apiview.Time `json:"history_purged_at"`
	}{eventViews(es), apiview.UTC(ck.HistoryPurgedAt)})
}

// refreshCheckout handles POST /v1/checkouts/:id/refresh: the checkout
// becomes due at once and the poller is woken; 202 with the checkout.
func (s *server) refreshCheckout(c echo.Context) error {
	ck, err := s.cfg.Store.RequestCheck(c.Request().Context(), merchantOf(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	s.cfg.Waker.Wake()
	return s.renderCheckout(c, http.StatusAccepted, ck)
}

// renderCheckout writes the checkout with an ETag and, while the checkout
// is pending or action_required, a Retry-After. A GET whose If-None-Match
// matches the ETag gets 304, and so does a HEAD.
func (s *server) renderCheckout(c echo.Context, status int, ck store.Checkout) error {
	e, err := s.encodeCached(ck)
	if err != nil {
		return err
	}
	return s.renderEncoded(c, status, e)
}

// renderEncoded writes an encoded checkout as renderCheckout does; the
// Retry-After is computed now, from the entry's next_check_at.
func (s *server) renderEncoded(c echo.Context, status int, e *cachedCheckout) error {
	h := c.Response().Header()
	h.Set("ETag", e.etag)
	if e.state == store.StatePending || e.state == store.StateActionRequired {
		h.Set("Retry-After", strconv.Itoa(s.retryAfter(e.nextCheckAt)))
	}
	if m := c.Request().Method; (m == http.MethodGet || m == http.MethodHead) && etagMatches(c.Request().Header.Get("If-None-Match"), e.etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.JSONBlob(status, e.body)
}

// encodeCached encodes ck (encodeCheckout) with what its headers need.
func (s *server) encodeCached(ck store.Checkout) (*cachedCheckout, error) {
	body, etag, err := s.encodeCheckout(ck)
	if err != nil {
		return nil, err
	}
	return &cachedCheckout{merchantID: ck.MerchantID, rev: ck.Rev, state: ck.State, nextCheckAt: ck.NextCheckAt,
		body: body, etag: etag}, nil
}

// encodeCheckout returns the checkout's JSON and its strong ETag.
func (s *server) encodeCheckout(ck store.Checkout) (body []byte, etag string, err error) {
	body, err = json.Marshal(s.checkoutView(ck))
	if err != nil {
		return nil, "", fmt.Errorf("encode checkout: %w", err)
	}
	sum := sha256.Sum256(body)
	return body, `"` + hex.EncodeToString(sum[:16]) + `"`, nil
}

// retryAfter is the whole seconds until the next check, at least 1, or
// PollMinInterval when no check is scheduled.
func (s *server) retryAfter(nextCheckAt *time.Time) int {
	wait := s.cfg.PollMinInterval
	if nextCheckAt != nil {
		wait = nextCheckAt.Sub(s.cfg.Now())
	}
	return max(1, int(math.Ceil(wait.Seconds())))
}

// etagMatches reports whether an If-None-Match header names etag (weak
// comparison) or is "*".
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
