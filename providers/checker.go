package providers

import (
	"context"
	"net/http"

	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/store"
)

// Checker is a provider's status checker in the store's terms, the shape
// the poller asks: it finds the merchant's account and the checkout's
// identifiers, then asks the provider's plugin.Checker.
type Checker struct {
	p       Provider
	checker plugin.Checker
}

// Checker returns p's status checker sending requests with hc (nil: the
// provider's default client).
func (p Provider) Checker(hc *http.Client) Checker {
	return Checker{p: p, checker: p.NewChecker(hc)}
}

// Check asks the provider about c with m's account. A merchant without an
// account there gets a failure that slows the checkout down.
func (c Checker) Check(ctx context.Context, m store.Merchant, ck store.Checkout) plugin.Report {
	acct, ok := c.p.Account(m)
	if !ok {
		return plugin.Report{Finding: plugin.Finding{Failure: "merchant has no " + c.p.Title + " account"}, SlowDown: true}
	}
	return c.checker.Check(ctx, acct, plugin.Checkout{Reference: ck.Reference, ProviderRef: ck.ProviderRef})
}

// Checkers returns every provider's status checker by name, each sending
// requests with the client httpClient returns for it.
func Checkers(httpClient func(Provider) *http.Client) map[string]Checker {
	cs := map[string]Checker{}
	for _, p := range registered() {
		cs[p.Name] = p.Checker(httpClient(p))
	}
	return cs
}
