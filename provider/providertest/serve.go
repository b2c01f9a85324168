package providertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paysync/paysync/provider/internal/statusapi/statusapitest"
	"github.com/paysync/paysync/provider/plugin"
)

// reply answers every request with code, body and the headers given as
// name, value pairs.
func reply(code int, body []byte, header ...string) http.HandlerFunc {
	return statusapitest.Reply(code, string(body), header...)
}

// check asks the provider's checker about s.Checkout, its status API
// answering with h.
func check(t *testing.T, s Suite, h http.Handler) plugin.Report {
	t.Helper()
	return checkCtx(t.Context(), t, s, h)
}

// checkCtx is check with the context ctx. The checker has the provider's
// default HTTP client, which follows no redirects, as the wiring's
// guarded client doesn't.
func checkCtx(ctx context.Context, t *testing.T, s Suite, h http.Handler) plugin.Report {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	return s.Descriptor.NewChecker(nil).Check(ctx, s.Account(srv.URL), s.Checkout)
}

// refused reports whether r gives no state and says why.
func refused(r plugin.Report) bool { return r.State == "" && r.Failure != "" }
