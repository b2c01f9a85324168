package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// webhookSink is the bench merchant's webhook endpoint, served on
// loopback in the bench's process: it verifies each delivery's Standard
// Webhooks signature (and timestamp) as a real merchant would, refusing a
// bad one with 400, and records when each checkout's first delivery
// arrived: the far end of "callback → webhook".
type webhookSink struct {
	srv *httptest.Server

	mu       sync.Mutex
	wh       *standardwebhooks.Webhook // nil until the merchant's secret is known
	first    map[string]time.Time      // checkout id → first verified delivery
	pending  int                       // distinct checkouts of p-* references delivered
	bad      int                       // deliveries refused (bad signature or body)
	received int
}

func newWebhookSink() *webhookSink {
	k := &webhookSink{first: map[string]time.Time{}}
	k.srv = httptest.NewServer(http.HandlerFunc(k.serve))
	return k
}

// setSecret makes the sink verify with the merchant's whsec_ secret.
func (k *webhookSink) setSecret(secret string) error {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.wh = wh
	k.mu.Unlock()
	return nil
}

func (k *webhookSink) serve(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	k.mu.Lock()
	wh := k.wh
	k.received++
	k.mu.Unlock()
	var ev struct {
		Data struct {
			ID        string  `json:"id"`
			Reference *string `json:"reference"`
		} `json:"data"`
	}
	if err != nil || wh == nil || wh.Verify(body, r.Header) != nil || json.Unmarshal(body, &ev) != nil || ev.Data.ID == "" {
		k.mu.Lock()
		k.bad++
		k.mu.Unlock()
		http.Error(w, "bad delivery", http.StatusBadRequest)
		return
	}
	k.mu.Lock()
	if _, seen := k.first[ev.Data.ID]; !seen {
		k.first[ev.Data.ID] = now
		if ev.Data.Reference != nil && strings.HasPrefix(*ev.Data.Reference, "p-") {
			k.pending++
		}
	}
	k.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// firstDelivery returns when the first verified delivery about the
// checkout arrived.
func (k *webhookSink) firstDelivery(checkoutID string) (time.Time, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	t, ok := k.first[checkoutID]
	return t, ok
}

// pendingDelivered is how many distinct pending (p-*) checkouts had a
// verified delivery.
func (k *webhookSink) pendingDelivered() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.pending
}

// refused is how many deliveries failed verification, of how many.
func (k *webhookSink) refused() (bad, received int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.bad, k.received
}

func (k *webhookSink) close() { k.srv.Close() }
