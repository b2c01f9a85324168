package handlers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/providers"
	"github.com/paysync/paysync/store"
)

// recordStartTimeout bounds the recording of a start's outcome, which
// goes on when the client has gone: the provider may have answered.
const recordStartTimeout = 10 * time.Second

// startFields returns the field errors of a start (CONTRACT §12): a
// provider that can start payments, and a reference of letters and
// digits only (what PayUnit's mobile-money rails take as transaction_id).
func (r *checkoutRequest) startFields() []fieldError {
	if !r.Start {
		return nil
	}
	var errs []fieldError
	if p, ok := providers.Lookup(r.Provider); ok && p.Start == nil {
		errs = append(errs, fieldError{"start", "the provider " + p.Name + " cannot start payments; register the checkout without start"})
	}
	if r.Reference != "" && !lettersAndDigits(r.Reference) {
		errs = append(errs, fieldError{"reference", "must contain ASCII letters and digits only when start is true"})
	}
	return errs
}

// lettersAndDigits reports whether s is made of ASCII letters and digits.
func lettersAndDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// startReference is the reference paysync gives a started checkout the
// merchant gave none: "ps" and 30 hex digits, letters and digits only.
// With an Idempotency-Key it is derived from the merchant and the key, so
// that a repeat of the request names the same checkout; without one it is
// random.
func startReference(merchantID, idempotencyKey string) string {
	var b [15]byte
	if idempotencyKey != "" {
		sum := sha256.Sum256([]byte("paysync start reference\x00" + merchantID + "\x00" + idempotencyKey))
		copy(b[:], sum[:])
	} else {
		rand.Read(b[:]) // never fails (crypto/rand)
	}
	return "ps" + hex.EncodeToString(b[:])
}

// prepareStart returns m with its provider credentials, read before
// anything is registered (a start that can't be sent registers nothing),
// and gives req a reference when it has none (startReference).
func (s *server) prepareStart(ctx context.Context, m store.Merchant, req *checkoutRequest, idem string) (store.Merchant, error) {
	m, _, err := s.cfg.Store.MerchantSecrets(ctx, m.ID)
	if err != nil {
		return store.Merchant{}, fmt.Errorf("read merchant secrets: %w", err)
	}
	if req.Reference == "" {
		req.Reference = startReference(m.ID, idem)
	}
	return m, nil
}

// needsStart reports whether ck, registered with start, still waits for
// its start: pending without a pay URL (new, or an earlier start got no
// usable answer or didn't finish).
func needsStart(ck store.Checkout) bool {
	return ck.StartRequested && ck.State == store.StatePending && ck.PayURL == ""
}

// startFlights are the starts in flight in this process, by checkout id:
// a repeat of a start that comes while the first is at the provider (a
// client that gave up waiting and tries again) waits for its outcome
// instead of starting the payment a second time.
type startFlights struct {
	mu      sync.Mutex
	m       map[string]chan struct{}
	waiting int // repeats waiting, for tests
}

// join returns the channel closed when the start of id in flight ends;
// when none is, it returns end instead, which the caller, now the one
// starting id, calls when done.
func (f *startFlights) join(id string) (done <-chan struct{}, end func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.m[id]; ok {
		f.waiting++
		return ch, nil
	}
	if f.m == nil {
		f.m = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	f.m[id] = ch
	return nil, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.m, id)
		close(ch)
	}
}

// left records that a waiting repeat stopped waiting.
func (f *startFlights) left() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waiting--
}

// waiters is how many repeats wait for a start in flight.
func (f *startFlights) waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.waiting
}

// startOnce starts ck (startCheckout) unless this process is starting it
// already; then it waits for that start and answers with the checkout
// it left: status with it, or 502 provider-unavailable when it is still
// waiting for a start (that start got no usable answer).
func (s *server) startOnce(c echo.Context, m store.Merchant, req checkoutRequest, ck store.Checkout, status int) error {
	done, end := s.starts.join(ck.ID)
	if end != nil {
		defer end()
		return s.startCheckout(c, m, req, ck, status)
	}
	ctx := c.Request().Context()
	select {
	case <-done:
	case <-ctx.Done():
	}
	s.starts.left()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("wait for a start in flight: %w", err)
	}
	ck, err := s.cfg.Store.Checkout(ctx, m.ID, ck.ID)
	if err != nil {
		return err
	}
	if needsStart(ck) {
		return unavailableStart(providerTitle(ck.Provider), ck.ID, "a concurrent start of this checkout got no usable answer")
	}
	return s.renderCheckout(c, status, ck)
}

// providerTitle is the name for people of the provider called name.
func providerTitle(name string) string {
	p, _ := providers.Lookup(name)
	return p.Title
}

// unavailableStart is the 502 of a start without a usable answer.
func unavailableStart(title, checkoutID, why string) *apiError {
	return &apiError{Status: http.StatusBadGateway, Slug: "provider-unavailable", CheckoutID: checkoutID,
		Detail: title + " gave no usable answer (" + why + "); checkout " + checkoutID +
			" stays pending and is checked; send the same request again to retry the start"}
}

// startCheckout starts the payment of the registered checkout ck at its
// provider and records the outcome (store.RecordStart), then answers:
// status (201 new, 200 a repeat) with the checkout and its pay_url when
// the provider started it; 502 start-refused, PayUnit's message in the
// detail, when it refused (the checkout is failed, start_refused); 502
// provider-unavailable when no usable answer came (the checkout stays
// pending and is polled; the same request again tries once more).
func (s *server) startCheckout(c echo.Context, m store.Merchant, req checkoutRequest, ck store.Checkout, status int) error {
	ctx := c.Request().Context()
	p, _ := providers.Lookup(ck.Provider) // validated: startFields
	acct, _ := p.Account(m)
	view := s.checkoutView(ck)
	started := p.Start(ctx, s.startClients[p.Name], acct, plugin.StartRequest{
		Reference: ck.Reference, Amount: ck.Amount, Currency: ck.Currency,
		NotifyURL: hookURL(s.cfg.PublicURL, p.Name, m.HookToken), ReturnURL: view.ReturnURL,
		Description: req.Description, PaymentCountry: req.PaymentCountry, PayWith: req.PayWith,
	})
	s.metrics.starts.WithLabelValues(p.Name, string(started.Outcome)).Inc()
	result := startResult(p.Title, ck.ID, started)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordStartTimeout)
	defer cancel()
	ck, err := s.cfg.Store.RecordStart(rctx, result)
	if err != nil {
		return fmt.Errorf("record start: %w", err)
	}
	switch {
	case ck.PayURL != "":
		return s.renderCheckout(c, status, ck)
	case started.Outcome == plugin.StartRefused:
		return &apiError{Status: http.StatusBadGateway, Slug: "start-refused", CheckoutID: ck.ID,
			Detail: p.Title + " refused the payment: " + result.Message}
	case started.Outcome == plugin.StartOK: // settled meanwhile: no page to pay on
		return s.renderCheckout(c, status, ck)
	}
	return unavailableStart(p.Title, ck.ID, startFailure(started))
}

// startResult is what started means for the store: the event's detail
// ("payment started at PayUnit: …") and, for a refusal, the anomaly's
// message (the provider's own words, else what the answer was).
func startResult(title, checkoutID string, started plugin.Started) store.StartResult {
	r := store.StartResult{CheckoutID: checkoutID, PayURL: started.PayURL, ProviderRef: started.ProviderRef}
	prefix := "payment started at " + title + ": "
	switch started.Outcome {
	case plugin.StartOK:
		r.Outcome, r.Detail = store.StartStarted, prefix+fmt.Sprintf("started (HTTP %d)", started.HTTPStatus)
	case plugin.StartRefused:
		r.Outcome, r.Message = store.StartRefused, started.Message
		if r.Message == "" {
			r.Message = title + " refused the payment (" + startFailure(started) + ")"
		}
		r.Detail = prefix + "refused (" + startFailure(started) + "): " + r.Message
	default:
		r.Outcome, r.Detail = store.StartUnknown, prefix+"no usable answer ("+startFailure(started)+")"
	}
	return r
}

// startFailure is the HTTP status and the failure of a start, for people:
// "HTTP 502, server error", "send request".
func startFailure(s plugin.Started) string {
	switch {
	case s.HTTPStatus != 0 && s.Failure != "":
		return fmt.Sprintf("HTTP %d, %s", s.HTTPStatus, s.Failure)
	case s.HTTPStatus != 0:
		return fmt.Sprintf("HTTP %d", s.HTTPStatus)
	case s.Failure != "":
		return s.Failure
	}
	return "no answer"
}

// hookURL is the notify URL of a merchant's callbacks from the provider
// called name: the one the admin API shows (payunit_notify_url).
func hookURL(publicURL, name, hookToken string) string {
	return publicURL + "/hooks/" + name + "/" + hookToken
}
