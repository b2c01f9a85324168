package handlers

import (
	"net/http"
	"strings"
	"testing"
)

// The hosted pages are mounted under /pay with the handlers' waker, and
// their tokens stay out of the request log.
func TestHostedPagesMounted(t *testing.T) {
	h := setup(t)
	_, key := h.merchant("shop.example")
	rec := h.checkout(key, "order-1", "10")
	wantStatus(t, rec, http.StatusCreated)
	returnPath := strings.TrimPrefix(decode(t, rec)["return_url"].(string), "http://paysync.test")
	token := strings.Split(returnPath, "/")[2]
	before := h.waker.count()

	rec = h.request(http.MethodPost, returnPath, "", "PaRes=x", "Content-Type", "application/x-www-form-urlencoded")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/pay/"+token+"/progress" {
		t.Fatalf("return: %d %v", rec.Code, rec.Header())
	}
	if h.waker.count() != before+1 {
		t.Fatalf("the return did not wake the poller")
	}
	rec = h.request(http.MethodGet, "/pay/"+token+"/progress", "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `id="progress"`) {
		t.Fatalf("progress: %d %s", rec.Code, rec.Body)
	}
	rec = h.request(http.MethodGet, "/pay/nope/progress", "", nil)
	if rec.Code != http.StatusNotFound || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("unknown token: %d %s, want an HTML 404", rec.Code, rec.Header().Get("Content-Type"))
	}
	if strings.Contains(h.logs.String(), token) {
		t.Fatal("the request log shows a checkout token")
	}
}
