package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/netguard"
	"github.com/paysync/paysync/store"
)

// An endpoint that fails its first attempts gets the event once it
// recovers, exactly once, with the same webhook-id and body each time, and
// a restart between attempts changes nothing.
func TestRetriesUntilDeliveredAcrossRestart(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, func(n int, w http.ResponseWriter) {
		if n <= 2 {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(strings.Repeat("x", 3000)))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	r := newRig(t, ep.srv.URL+"/hooks")
	c := r.settle("order-1", store.StateSucceeded)
	d := r.dispatcher()

	if n := r.runOnce(d); n != 1 {
		t.Fatalf("first pass attempted %d, want 1", n)
	}
	if n := r.runOnce(d); n != 0 {
		t.Fatalf("a retry went out before its time (%d)", n)
	}
	r.clock.Advance(6 * time.Second) // past the 5s step
	if n := r.runOnce(d); n != 1 {
		t.Fatalf("second pass attempted %d, want 1", n)
	}

	r.restart() // a new process on the same file, between attempts
	d = r.dispatcher()
	if n := r.runOnce(d); n != 0 {
		t.Fatalf("restart sent the delivery early (%d)", n)
	}
	r.clock.Advance(6 * time.Minute) // past the 5m step
	if n := r.runOnce(d); n != 1 {
		t.Fatalf("third pass attempted %d, want 1", n)
	}
	r.clock.Advance(48 * time.Hour)
	if n := r.runOnce(d); n != 0 {
		t.Fatalf("a delivered webhook went out again (%d)", n)
	}

	reqs := ep.requests()
	if len(reqs) != 3 {
		t.Fatalf("endpoint got %d requests, want 3", len(reqs))
	}
	for i, req := range reqs {
		if err := verify(t, r.merchant.WebhookSecret, req, i == 0); err != nil {
			t.Fatalf("attempt %d: signature does not verify with the reference library: %v", i+1, err)
		}
		if req.header.Get("webhook-id") != reqs[0].header.Get("webhook-id") || !bytes.Equal(req.body, reqs[0].body) {
			t.Fatalf("attempt %d changed the webhook-id or body", i+1)
		}
		if req.header.Get("Content-Type") != "application/json" {
			t.Fatalf("content type %q", req.header.Get("Content-Type"))
		}
	}
	if ts := reqs[2].header.Get("webhook-timestamp"); ts != strconv.FormatInt(r.clock.Now().Add(-48*time.Hour).Unix(), 10) {
		t.Fatalf("webhook-timestamp %s is not the attempt's time", ts)
	}
	var body struct {
		Type string `json:"type"`
		Data struct {
			ID        string `json:"id"`
			State     string `json:"state"`
			Version   int64  `json:"version"`
			ReturnURL string `json:"return_url"`
		} `json:"data"`
	}
	if err := json.Unmarshal(reqs[0].body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Type != "checkout.succeeded" || body.Data.ID != c.ID || body.Data.State != "succeeded" ||
		body.Data.Version != c.Version || !strings.HasPrefix(body.Data.ReturnURL, "http://paysync.test/pay/") {
		t.Fatalf("body %s", reqs[0].body)
	}

	ds := r.deliveries(c.ID)
	if len(ds) != 1 || ds[0].Status != store.DeliveryDelivered || ds[0].ID != reqs[0].header.Get("webhook-id") ||
		!strings.HasPrefix(ds[0].ID, "msg_") || ds[0].NextAttemptAt != nil {
		t.Fatalf("deliveries %+v", ds)
	}
	h := ds[0].History
	if len(h) != 3 || h[0].StatusCode != 500 || h[1].StatusCode != 500 || h[2].StatusCode != 204 || len(h[0].Response) != 1024 {
		t.Fatalf("attempts %+v", h)
	}
}

func TestGoneDisablesEndpointUntilReenabled(t *testing.T) {
	t.Parallel()
	gone := true
	ep := newEndpoint(t, func(_ int, w http.ResponseWriter) {
		if gone {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	r := newRig(t, ep.srv.URL)
	d := r.dispatcher()
	first := r.settle("order-1", store.StateSucceeded)
	if n := r.runOnce(d); n != 1 {
		t.Fatalf("attempted %d, want 1", n)
	}
	if ds := r.deliveries(first.ID); ds[0].Status != store.DeliveryDisabled || len(ds[0].History) != 1 {
		t.Fatalf("after 410: %+v", ds[0])
	}
	m, err := r.db.Merchant(context.Background(), r.merchant.ID)
	if err != nil || m.WebhookDisabledAt == nil {
		t.Fatalf("merchant endpoint not disabled: %+v %v", m, err)
	}
	second := r.settle("order-2", store.StateFailed)
	r.clock.Advance(24 * time.Hour)
	if n := r.runOnce(d); n != 0 {
		t.Fatalf("a disabled endpoint got %d more attempts", n)
	}
	if ds := r.deliveries(second.ID); len(ds) != 1 || ds[0].Status != store.DeliveryDisabled || ds[0].Type != "checkout.failed" {
		t.Fatalf("held delivery %+v", ds)
	}
	if _, err := r.db.Redeliver(context.Background(), r.merchant.ID, r.deliveries(second.ID)[0].ID); store.ErrorCode(err) != store.ECONFLICT {
		t.Fatalf("redeliver to a disabled endpoint: %v, want conflict", err)
	}

	gone = false
	released, err := r.db.EnableWebhook(context.Background(), r.merchant.ID)
	if err != nil || released != 2 {
		t.Fatalf("EnableWebhook = %d, %v; want 2 released", released, err)
	}
	if n := r.runOnce(d); n != 2 {
		t.Fatalf("after re-enabling attempted %d, want 2", n)
	}
	for _, id := range []string{first.ID, second.ID} {
		if ds := r.deliveries(id); ds[0].Status != store.DeliveryDelivered {
			t.Fatalf("%s: %+v", id, ds[0])
		}
	}
	if got := len(ep.requests()); got != 3 {
		t.Fatalf("endpoint got %d requests, want 3", got)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, retryAfter string
		code             int
		want             time.Duration
	}{
		{"429 seconds", "3600", http.StatusTooManyRequests, time.Hour},
		{"503 date", "", http.StatusServiceUnavailable, 2 * time.Hour}, // header set from the clock below
		{"bounded", "999999", http.StatusTooManyRequests, 10 * time.Hour},
		{"ignored on 500", "3600", http.StatusInternalServerError, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var r *rig
			ep := newEndpoint(t, func(_ int, w http.ResponseWriter) {
				ra := tc.retryAfter
				if ra == "" {
					ra = r.clock.Now().Add(2 * time.Hour).Format(http.TimeFormat)
				}
				w.Header().Set("Retry-After", ra)
				w.WriteHeader(tc.code)
			})
			r = newRig(t, ep.srv.URL)
			c := r.settle("order-1", store.StateSucceeded)
			r.runOnce(r.dispatcher())
			ds := r.deliveries(c.ID)
			if ds[0].Status != store.DeliveryPending || ds[0].NextAttemptAt == nil {
				t.Fatalf("delivery %+v", ds[0])
			}
			if got := ds[0].NextAttemptAt.Sub(r.clock.Now()); got != tc.want {
				t.Fatalf("next attempt in %v, want %v", got, tc.want)
			}
		})
	}
}

func TestScheduleSpentMarksFailed(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, status(http.StatusBadGateway))
	r := newRig(t, ep.srv.URL)
	c := r.settle("order-1", store.StateCancelled)
	d := r.dispatcher()
	for range 10 {
		r.runOnce(d)
		r.clock.Advance(11 * time.Hour)
	}
	ds := r.deliveries(c.ID)
	if ds[0].Status != store.DeliveryFailed || len(ds[0].History) != 8 || len(ep.requests()) != 8 {
		t.Fatalf("status %s after %d attempts (%d requests), want failed after 8", ds[0].Status, len(ds[0].History), len(ep.requests()))
	}
}

func TestRotationSignsWithBothSecrets(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, status(http.StatusOK))
	r := newRig(t, ep.srv.URL)
	old := r.merchant.WebhookSecret
	fresh, until, err := r.db.RotateWebhookSecret(context.Background(), r.merchant.ID, 24*time.Hour)
	if err != nil || !strings.HasPrefix(fresh, "whsec_") || fresh == old || !until.Equal(r.clock.Now().Add(24*time.Hour)) {
		t.Fatalf("rotate: %q %v %v", fresh, until, err)
	}
	d := r.dispatcher()
	r.settle("order-1", store.StateSucceeded)
	r.runOnce(d)
	req := ep.requests()[0]
	if sigs := strings.Fields(req.header.Get("webhook-signature")); len(sigs) != 2 {
		t.Fatalf("signature header %q, want two v1 signatures", req.header.Get("webhook-signature"))
	}
	for _, s := range []string{old, fresh} {
		if err := verify(t, s, req, true); err != nil {
			t.Fatalf("during the overlap a receiver holding one secret fails: %v", err)
		}
	}

	r.clock.Advance(25 * time.Hour) // overlap over
	r.settle("order-2", store.StateSucceeded)
	r.runOnce(d)
	req = ep.requests()[1]
	if err := verify(t, fresh, req, false); err != nil {
		t.Fatalf("new secret: %v", err)
	}
	if err := verify(t, old, req, false); err == nil {
		t.Fatal("the old secret still verifies after the overlap")
	}
}

// The connect-time guard: with the production client, a webhook URL whose
// host resolves to loopback (localhost), or the metadata address, is
// refused when connecting, and the endpoint never hears from paysync.
func TestPrivateEndpointRefusedAtConnect(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, status(http.StatusOK))
	port := ep.srv.URL[strings.LastIndex(ep.srv.URL, ":")+1:]
	for _, url := range []string{"http://localhost:" + port + "/hooks", "http://169.254.169.254/latest/meta-data"} {
		r := newRig(t, url)
		r.client = netguard.HTTPClient(false, 5*time.Second)
		c := r.settle("order-1", store.StateSucceeded)
		r.runOnce(r.dispatcher())
		ds := r.deliveries(c.ID)
		if h := ds[0].History; len(h) != 1 || h[0].Error != "address_refused" || h[0].StatusCode != 0 || ds[0].Status != store.DeliveryPending {
			t.Fatalf("%s: %+v", url, ds[0])
		}
	}
	if n := len(ep.requests()); n != 0 {
		t.Fatalf("the loopback endpoint got %d requests", n)
	}
}

func TestRedirectIsAFailedAttempt(t *testing.T) {
	t.Parallel()
	target := newEndpoint(t, status(http.StatusOK))
	ep := newEndpoint(t, func(_ int, w http.ResponseWriter) {
		w.Header().Set("Location", target.srv.URL)
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	r := newRig(t, ep.srv.URL)
	c := r.settle("order-1", store.StateSucceeded)
	r.runOnce(r.dispatcher())
	ds := r.deliveries(c.ID)
	if ds[0].Status != store.DeliveryPending || ds[0].History[0].StatusCode != http.StatusTemporaryRedirect || len(target.requests()) != 0 {
		t.Fatalf("redirect: %+v, target got %d", ds[0], len(target.requests()))
	}
}

// Start/Stop: the background loop delivers what Apply enqueues once woken,
// and Stop returns with nothing left running.
func TestDispatcherLoop(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, status(http.StatusOK))
	r := newRig(t, ep.srv.URL)
	d := r.dispatcher()
	d.Start(context.Background())
	defer d.Stop()
	r.settle("order-1", store.StateSucceeded)
	d.Wake()
	testwait.For(t, "the loop to deliver", func() bool { return len(ep.requests()) > 0 })
	d.Stop()
	d.Stop() // idempotent
}

// TestSecondRotationKeepsTheFirstsPromise (issue 22, point 9): a second
// rotation 12 h into the first's 24 h overlap keeps the first secret
// signing until its 24 h end, beside the second's: a receiver still on any
// of the three verifies with the Standard Webhooks library; each secret
// stops when its own overlap ends. Before, the second rotation dropped the
// first secret at once (webhooks carried the two newest signatures only).
// A rotation that would keep more than maxRetiredSecrets is refused.
func TestSecondRotationKeepsTheFirstsPromise(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, status(http.StatusOK))
	r := newRig(t, ep.srv.URL)
	ctx := context.Background()
	first := r.merchant.WebhookSecret
	second, _, err := r.db.RotateWebhookSecret(ctx, r.merchant.ID, 24*time.Hour) // first signs until +24 h
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(12 * time.Hour)
	third, _, err := r.db.RotateWebhookSecret(ctx, r.merchant.ID, 24*time.Hour) // second signs until +36 h
	if err != nil {
		t.Fatal(err)
	}
	d := r.dispatcher()
	send := func(order string) received {
		t.Helper()
		r.settle(order, store.StateSucceeded)
		r.runOnce(d)
		reqs := ep.requests()
		return reqs[len(reqs)-1]
	}
	check := func(req received, when string, valid, invalid []string) {
		t.Helper()
		for _, s := range valid {
			if err := verify(t, s, req, false); err != nil {
				t.Fatalf("%s: a receiver on a secret still promised fails: %v (header %q)", when, err, req.header.Get("webhook-signature"))
			}
		}
		for _, s := range invalid {
			if err := verify(t, s, req, false); err == nil {
				t.Fatalf("%s: a secret whose overlap ended still verifies", when)
			}
		}
	}
	check(send("order-1"), "13 h after the first rotation", []string{first, second, third}, nil)
	r.clock.Advance(12*time.Hour + time.Minute)
	check(send("order-2"), "just past the first rotation's 24 h", []string{second, third}, []string{first})
	r.clock.Advance(12 * time.Hour)
	check(send("order-3"), "past the second rotation's 24 h", []string{third}, []string{first, second})

	for range 8 {
		if _, _, err := r.db.RotateWebhookSecret(ctx, r.merchant.ID, 24*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := r.db.RotateWebhookSecret(ctx, r.merchant.ID, 24*time.Hour); store.ErrorCode(err) != store.ELIMIT {
		t.Fatalf("a rotation beyond 8 secrets within their overlaps = %v; want ELIMIT", err)
	}
}
