package notify

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/store"
)

// TestHangingEndpointHoldsFewSlots: one merchant's endpoint hangs on every
// webhook; it holds at most PerEndpoint of the dispatcher's slots, so
// another merchant's webhook is delivered at once instead of waiting for
// the hanging attempts' timeout (before: every slot was taken).
func TestHangingEndpointHoldsFewSlots(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var mu sync.Mutex
	hanging, maxHanging := 0, 0
	noisy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hanging++
		maxHanging = max(maxHanging, hanging)
		mu.Unlock()
		select {
		case <-release:
		case <-r.Context().Done():
		}
		mu.Lock()
		hanging--
		mu.Unlock()
	}))
	t.Cleanup(noisy.Close)
	t.Cleanup(func() { close(release) }) // before noisy.Close, which waits for its handlers
	delivered := make(chan time.Time, 1)
	quiet := newEndpoint(t, func(int, http.ResponseWriter) {
		select {
		case delivered <- time.Now():
		default:
		}
	})
	r := newRig(t, noisy.URL)
	for i := range 10 {
		r.settle(fmt.Sprintf("noisy-%d", i), store.StateSucceeded)
	}
	noisyMerchant := r.merchant
	q, err := r.db.CreateMerchant(context.Background(), store.NewMerchant{Name: "quiet", WebhookURL: quiet.srv.URL,
		PayUnit: &store.PayUnitAccount{BaseURL: "https://gateway.payunit.net", Mode: "test", APIUser: "u", APIPassword: "p", APIKey: "k"}})
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(time.Second) // the quiet merchant's webhook is due after the noisy ones
	r.merchant = q
	r.settle("quiet-1", store.StateSucceeded)
	r.merchant = noisyMerchant

	d := r.dispatcher(func(c *Config) { c.Concurrency, c.Timeout = 4, time.Minute })
	start := time.Now()
	d.Start(context.Background())
	defer d.Stop()
	at := testwait.Signal(t, "the quiet merchant's webhook, which must not wait behind the hanging endpoint", delivered)
	mu.Lock()
	held := maxHanging
	mu.Unlock()
	t.Logf("quiet merchant's webhook delivered %v after start (real time) while the noisy endpoint hung on %d attempts", at.Sub(start), held)
	if held > 1 {
		t.Errorf("the hanging endpoint held %d slots at once, want at most PerEndpoint (1 of 4)", held)
	}
}
