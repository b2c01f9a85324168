package handlers

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/store"
)

// observe claims the checkout as the poller would and applies a provider
// answer, so that its version moves; it returns the checkout as committed.
func (h *harness) observe(id string, state store.State, providerStatus string) store.Checkout {
	h.t.Helper()
	ctx := context.Background()
	h.clock.Add(2 * time.Minute) // past the grace period and any re-check
	claimed, err := h.db.ClaimDue(ctx, 100, time.Minute)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, c := range claimed {
		if c.ID != id {
			continue
		}
		next := h.clock.Now().Add(5 * time.Second)
		out, err := h.db.Apply(ctx, store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq,
			ClaimSeq: c.ClaimSeq, Checked: true, State: state, ProviderStatus: providerStatus,
			Amount: c.Amount, Currency: c.Currency, ResolvedBy: store.SourcePoll, Attempts: 1, NextCheckAt: &next})
		if err != nil {
			h.t.Fatal(err)
		}
		return out
	}
	h.t.Fatalf("checkout %s was not due", id)
	return store.Checkout{}
}

// registered creates a merchant and a checkout; it returns the API key
// and the checkout id.
func (h *harness) registered() (string, string) {
	h.t.Helper()
	_, key := h.merchant()
	rec := h.checkout(key, "order-rt", "2500")
	wantStatus(h.t, rec, http.StatusCreated)
	return key, decode(h.t, rec)["id"].(string)
}

// served runs the router on real HTTP on 127.0.0.1 with the service's
// timeouts, or the given ones.
func (h *harness) served(readWrite ...time.Duration) *httptest.Server {
	srv := httptest.NewUnstartedServer(h.e)
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 30*time.Second, 60*time.Second
	if len(readWrite) == 2 {
		srv.Config.ReadTimeout, srv.Config.WriteTimeout = readWrite[0], readWrite[1]
	}
	srv.Start()
	h.t.Cleanup(srv.Close)
	return srv
}

// longPoll is a GET sent on its own goroutine; result gives its answer.
type longPoll struct {
	cancel context.CancelFunc
	done   chan struct{}
	resp   *http.Response
	body   map[string]any
	err    error
}

func (h *harness) startLongPoll(url, key string, headers ...string) *longPoll {
	ctx, cancel := context.WithCancel(context.Background())
	lp := &longPoll{cancel: cancel, done: make(chan struct{})}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	go func() {
		defer close(lp.done)
		lp.resp, lp.err = http.DefaultClient.Do(req)
		if lp.err != nil {
			return
		}
		defer lp.resp.Body.Close()
		raw, err := io.ReadAll(lp.resp.Body)
		if err == nil && len(raw) > 0 {
			err = json.Unmarshal(raw, &lp.body)
		}
		lp.err = err
	}()
	h.t.Cleanup(func() { cancel(); <-lp.done })
	return lp
}

// result waits for the answer.
func (lp *longPoll) result(t *testing.T) (*http.Response, map[string]any) {
	t.Helper()
	testwait.Signal(t, "the long-poll to return", lp.done)
	if lp.err != nil {
		t.Fatalf("long-poll: %v", lp.err)
	}
	return lp.resp, lp.body
}

func TestLongPollReturnsOnChange(t *testing.T) {
	h := setup(t, func(c *Config) { c.Metrics = prometheus.NewRegistry() })
	key, id := h.registered()
	srv := h.served()
	lp := h.startLongPoll(srv.URL+"/v1/checkouts/"+id+"?wait=60s", key)
	testwait.For(t, "the long-poll to subscribe", func() bool { return h.changes.Subscribers() == 1 })
	if m := h.request(http.MethodGet, "/metrics", "", nil).Body.String(); !strings.Contains(m, "\npaysync_checkout_waiters 1\n") {
		t.Fatalf("/metrics does not count the waiter:\n%s", m)
	}
	changed := h.observe(id, store.StatePending, "PENDING")
	resp, body := lp.result(t)
	if resp.StatusCode != http.StatusOK || body["version"] != float64(changed.Version) || body["provider_status"] != "PENDING" {
		t.Fatalf("long-poll answered %d %v, want 200 with version %d", resp.StatusCode, body, changed.Version)
	}
	if resp.Header.Get("ETag") == "" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("long-poll answer lacks ETag or Retry-After: %v", resp.Header)
	}
	testwait.For(t, "the subscription to end", func() bool { return h.changes.Subscribers() == 0 })
}

func TestLongPollTimesOutUnchanged(t *testing.T) {
	h := setup(t)
	key, id := h.registered()
	rec := h.request(http.MethodGet, "/v1/checkouts/"+id+"?wait=30ms", key, nil)
	wantStatus(t, rec, http.StatusOK)
	if v := decode(t, rec)["version"]; v != float64(1) {
		t.Fatalf("version %v after an unchanged wait, want 1", v)
	}
	etag := rec.Header().Get("ETag")
	rec = h.request(http.MethodGet, "/v1/checkouts/"+id+"?wait=30ms", key, nil, "If-None-Match", etag)
	wantStatus(t, rec, http.StatusNotModified)
	if h.changes.Subscribers() != 0 {
		t.Fatalf("%d subscribers left after the waits", h.changes.Subscribers())
	}
}

func TestLongPollAnswersAtOnceWhenClientIsBehind(t *testing.T) {
	h := setup(t)
	key, id := h.registered()
	h.observe(id, store.StatePending, "PENDING") // version 2
	for name, lp := range map[string]*longPoll{
		"version=1":           h.startLongPoll(h.served().URL+"/v1/checkouts/"+id+"?wait=60s&version=1", key),
		"stale If-None-Match": h.startLongPoll(h.served().URL+"/v1/checkouts/"+id+"?wait=60s", key, "If-None-Match", `"stale"`),
	} {
		resp, body := lp.result(t)
		if resp.StatusCode != http.StatusOK || body["version"] != float64(2) {
			t.Fatalf("%s: %d %v, want 200 with version 2 at once", name, resp.StatusCode, body)
		}
	}
	settled := h.observe(id, store.StateSucceeded, "SUCCESS")
	resp, body := h.startLongPoll(h.served().URL+"/v1/checkouts/"+id+"?wait=60s", key).result(t)
	if resp.StatusCode != http.StatusOK || body["version"] != float64(settled.Version) || body["terminal"] != true {
		t.Fatalf("terminal checkout: %d %v, want 200 at once", resp.StatusCode, body)
	}
}

func TestLongPollVersionParamWaitsPastIt(t *testing.T) {
	h := setup(t)
	key, id := h.registered()
	lp := h.startLongPoll(h.served().URL+"/v1/checkouts/"+id+"?wait=60s&version=2", key)
	testwait.For(t, "the long-poll to subscribe", func() bool { return h.changes.Subscribers() == 1 })
	h.observe(id, store.StatePending, "PENDING") // version 2: not past 2
	h.observe(id, store.StateFailed, "FAILED")   // version 3
	resp, body := lp.result(t)
	if resp.StatusCode != http.StatusOK || body["version"] != float64(3) || body["state"] != "failed" {
		t.Fatalf("%d %v, want 200 with version 3 failed", resp.StatusCode, body)
	}
}

func TestLongPollBadParameters(t *testing.T) {
	h := setup(t)
	key, id := h.registered()
	for _, q := range []string{"wait=soon", "wait=-1s", "wait=", "wait=10s&version=x", "wait=10s&version=-3"} {
		rec := h.request(http.MethodGet, "/v1/checkouts/"+id+"?"+q, key, nil)
		p := wantProblem(t, rec, http.StatusBadRequest, "malformed-request")
		if len(p["errors"].([]any)) != 1 {
			t.Fatalf("%s: problem %v should name one field", q, p)
		}
	}
}

func TestParseWait(t *testing.T) {
	for raw, want := range map[string]time.Duration{"30s": 30 * time.Second, "250ms": 250 * time.Millisecond,
		"45": 45 * time.Second, "0": 0, "5m": maxWait} {
		q, err := parseWait(map[string][]string{"wait": {raw}})
		if err != nil || q.wait != want || q.version != -1 {
			t.Errorf("wait=%s: %v, %v; want %v", raw, q, err, want)
		}
	}
}

func TestLongPollOtherMerchantIsNotFound(t *testing.T) {
	h := setup(t)
	_, id := h.registered()
	_, otherKey := h.merchant()
	for _, path := range []string{"/v1/checkouts/" + id + "?wait=60s", "/v1/checkouts/chk_unknown?wait=60s",
		"/v1/checkouts/" + id + "/stream"} {
		wantProblem(t, h.request(http.MethodGet, path, otherKey, nil), http.StatusNotFound, "not-found")
	}
	if n := h.changes.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers left after 404s", n)
	}
}

func TestLongPollEndsOnDisconnectAndShutdown(t *testing.T) {
	h := setup(t)
	key, id := h.registered()
	srv := h.served()
	gone := h.startLongPoll(srv.URL+"/v1/checkouts/"+id+"?wait=60s", key)
	testwait.For(t, "the long-poll to subscribe", func() bool { return h.changes.Subscribers() == 1 })
	gone.cancel()
	testwait.For(t, "the disconnected long-poll to unsubscribe", func() bool { return h.changes.Subscribers() == 0 })

	held := h.startLongPoll(srv.URL+"/v1/checkouts/"+id+"?wait=60s", key)
	testwait.For(t, "the long-poll to subscribe", func() bool { return h.changes.Subscribers() == 1 })
	h.changes.Close()
	resp, body := held.result(t)
	if resp.StatusCode != http.StatusOK || body["version"] != float64(1) || !resp.Close {
		t.Fatalf("at shutdown: %d close=%v %v, want 200 with version 1 and Connection: close", resp.StatusCode, resp.Close, body)
	}
	if n := h.changes.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers left after shutdown", n)
	}
}

func TestLongPollOutlivesServerTimeouts(t *testing.T) {
	h := setup(t)
	key, id := h.registered()
	srv := h.served(50*time.Millisecond, 50*time.Millisecond) // far shorter than the wait
	resp, body := h.startLongPoll(srv.URL+"/v1/checkouts/"+id+"?wait=300ms", key).result(t)
	if resp.StatusCode != http.StatusOK || body["version"] != float64(1) {
		t.Fatalf("%d %v, want 200 with the unchanged checkout after the wait", resp.StatusCode, body)
	}
}

// sseFrame is one block of an event stream: an event or a comment.
type sseFrame struct {
	id, event, data, comment string
}

// sseReader parses text/event-stream frames.
type sseReader struct{ r *bufio.Reader }

// next returns the next frame, or io.EOF when the stream ended.
func (s *sseReader) next() (sseFrame, error) {
	var f sseFrame
	seen := false
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			if err == io.EOF && seen {
				err = io.ErrUnexpectedEOF
			}
			return f, err
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			if seen {
				return f, nil
			}
			continue
		}
		seen = true
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "":
			f.comment = value
		case "id":
			f.id = value
		case "event":
			f.event = value
		case "data":
			f.data += value
		}
	}
}

// nextEvent skips comments and returns the next event's checkout.
func (s *sseReader) nextEvent(t *testing.T) (sseFrame, map[string]any) {
	t.Helper()
	for {
		f, err := s.next()
		if err != nil {
			t.Fatalf("reading the stream: %v", err)
		}
		if f.comment != "" && f.event == "" {
			continue
		}
		var ck map[string]any
		if err := json.Unmarshal([]byte(f.data), &ck); err != nil {
			t.Fatalf("event data %q: %v", f.data, err)
		}
		return f, ck
	}
}

func (h *harness) openStream(url, key string, headers ...string) (*http.Response, *sseReader) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{Timeout: 30 * time.Second} // a liveness bound
	resp, err := client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	return resp, &sseReader{r: bufio.NewReader(resp.Body)}
}

func TestStreamSendsCurrentThenChangesAndEndsOnTerminal(t *testing.T) {
	h := setup(t)
	key, id := h.registered()
	resp, stream := h.openStream(h.served().URL+"/v1/checkouts/"+id+"/stream", key)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" ||
		resp.Header.Get("X-Accel-Buffering") != "no" || resp.Header.Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("stream answered %d %v", resp.StatusCode, resp.Header)
	}
	f, ck := stream.nextEvent(t)
	if f.event != "checkout" || f.id != "1" || ck["id"] != id || ck["state"] != "pending" {
		t.Fatalf("first event %+v %v, want the current checkout as version 1", f, ck)
	}
	h.observe(id, store.StatePending, "PENDING")
	if f, ck = stream.nextEvent(t); f.id != "2" || ck["provider_status"] != "PENDING" || ck["version"] != float64(2) {
		t.Fatalf("second event %+v %v, want version 2 with PENDING", f, ck)
	}
	h.observe(id, store.StateSucceeded, "SUCCESS")
	if f, ck = stream.nextEvent(t); f.id != "3" || ck["state"] != "succeeded" || ck["terminal"] != true {
		t.Fatalf("third event %+v %v, want version 3 succeeded", f, ck)
	}
	if f, err := stream.next(); err != io.EOF {
		t.Fatalf("after the terminal event: %+v, %v; want the end of the stream", f, err)
	}
	testwait.For(t, "the stream to unsubscribe", func() bool { return h.changes.Subscribers() == 0 })

	// EventSource reconnects with the last id it saw: nothing more will come.
	resp, _ = h.openStream(h.served().URL+"/v1/checkouts/"+id+"/stream", key, "Last-Event-ID", "3")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("reconnecting after the terminal event: %d, want 204", resp.StatusCode)
	}
}

func TestStreamResumesAfterLastEventID(t *testing.T) {
	h := setup(t, func(c *Config) { c.Heartbeat = 10 * time.Millisecond })
	key, id := h.registered()
	h.observe(id, store.StatePending, "PENDING") // version 2
	srv := h.served(50*time.Millisecond, 50*time.Millisecond)
	_, stream := h.openStream(srv.URL+"/v1/checkouts/"+id+"/stream", key, "Last-Event-ID", "2")
	// Heartbeats for longer than the server's read and write timeouts.
	for beats := 0; beats < 10; {
		f, err := stream.next()
		if err != nil {
			t.Fatalf("after %d heartbeats: %v", beats, err)
		}
		if f.event != "" {
			t.Fatalf("resumed at version 2 but got event %+v", f)
		}
		if f.comment == "heartbeat" {
			beats++
		}
	}
	h.observe(id, store.StateActionRequired, "PENDING")
	if f, ck := stream.nextEvent(t); f.id != "3" || ck["state"] != "action_required" {
		t.Fatalf("event %+v %v, want version 3 action_required", f, ck)
	}
}

func TestStreamEndsOnDisconnectAndShutdown(t *testing.T) {
	h := setup(t)
	key, id := h.registered()
	srv := h.served()
	resp, stream := h.openStream(srv.URL+"/v1/checkouts/"+id+"/stream", key)
	stream.nextEvent(t)
	resp.Body.Close()
	testwait.For(t, "the abandoned stream to unsubscribe", func() bool { return h.changes.Subscribers() == 0 })

	_, stream = h.openStream(srv.URL+"/v1/checkouts/"+id+"/stream", key)
	stream.nextEvent(t)
	h.changes.Close()
	for {
		if _, err := stream.next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("stream at shutdown: %v, want a clean end", err)
		}
	}
	testwait.For(t, "the stream to unsubscribe", func() bool { return h.changes.Subscribers() == 0 })
}
