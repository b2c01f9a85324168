package azotte

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paysync/paysync/provider/plugin"
)

// TestFaultsClassified checks which Azotte answers count toward the
// circuit breaker: no usable answer does, a 4xx verdict or pacing doesn't.
func TestFaultsClassified(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		body        string
		unavailable bool
	}{
		{"503", http.StatusServiceUnavailable, `{"status":{"messageCode":"X"}}`, true},
		{"502 html", http.StatusBadGateway, `<html><body>Bad Gateway</body></html>`, true},
		{"200 html", http.StatusOK, `<html>maintenance</html>`, true},
		{"200 truncated", http.StatusOK, `{"trackingNumber":"trk_1","status":{"messa`, true},
		{"429", http.StatusTooManyRequests, ``, false},
		{"401", http.StatusUnauthorized, `{"title":"Unauthorized"}`, false},
		{"404", http.StatusNotFound, `{"status":{"messageCode":"ORDERED_ITEM_NOT_FOUND"}}`, false},
		{"409", http.StatusConflict, `{"title":"Conflict","detail":"other tenant"}`, false},
		{"done", http.StatusOK, `{"trackingNumber":"trk_1","status":{"messageCode":"CHECK_OUT_DONE"}}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			ac := Checker{Client: New(srv.Client())}
			acct := plugin.Account{BaseURL: srv.URL + "/api/v1", TenantID: "t", APIKey: "k"}
			r := ac.Check(context.Background(), acct, plugin.Checkout{ProviderRef: "trk_1"})
			if r.Unavailable != tc.unavailable {
				t.Errorf("Unavailable = %v, want %v (report %+v)", r.Unavailable, tc.unavailable, r)
			}
		})
	}
}
