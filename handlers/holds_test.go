package handlers

import (
	"net/http"
	"testing"

	"github.com/paysync/paysync/internal/testwait"
)

// TestStreamsAndLongPollsCappedPerMerchant (issue 22, point 6): with a
// cap of 3, a merchant holding 2 event streams and a long-poll gets a 429
// problem (Retry-After) for a 4th of either kind, while another merchant
// is served; when one ends, the place is free again. Before, one API key
// held 3,000 streams that never read, against a process limit of 20,000
// descriptors shared with callbacks.
func TestStreamsAndLongPollsCappedPerMerchant(t *testing.T) {
	h := setup(t, func(c *Config) { c.MaxHeldPerMerchant = 3 })
	key, id := h.registered()
	srv := h.served()
	for range 2 {
		resp, _ := h.openStream(srv.URL+"/v1/checkouts/"+id+"/stream", key)
		wantStatusCode(t, resp, http.StatusOK)
	}
	lp := h.startLongPoll(srv.URL+"/v1/checkouts/"+id+"?wait=60s", key)
	testwait.For(t, "the streams and the long-poll to subscribe", func() bool { return h.changes.Subscribers() == 3 })

	resp, _ := h.openStream(srv.URL+"/v1/checkouts/"+id+"/stream", key)
	wantStatusCode(t, resp, http.StatusTooManyRequests)
	if resp.Header.Get("Content-Type") != "application/problem+json" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("4th stream refused with %q, Retry-After %q; want problem+json with Retry-After", resp.Header.Get("Content-Type"), resp.Header.Get("Retry-After"))
	}
	wantProblem(t, h.request(http.MethodGet, "/v1/checkouts/"+id+"?wait=1s", key, nil), http.StatusTooManyRequests, "too-many-requests")

	otherKey, otherID := h.registered()
	other, _ := h.openStream(srv.URL+"/v1/checkouts/"+otherID+"/stream", otherKey)
	wantStatusCode(t, other, http.StatusOK)

	lp.cancel()
	<-lp.done
	testwait.For(t, "the long-poll's place to be free", func() bool {
		return h.request(http.MethodGet, "/v1/checkouts/"+id+"?wait=0s", key, nil).Code == http.StatusOK
	})
	again, _ := h.openStream(srv.URL+"/v1/checkouts/"+id+"/stream", key)
	wantStatusCode(t, again, http.StatusOK)
}

func wantStatusCode(t *testing.T, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("status %d, want %d", resp.StatusCode, want)
	}
}
