// Package providers is the registry of payment providers: every provider
// plug-in (a plugin.Descriptor) is listed here, once, with where the
// store keeps a merchant's account with it. Handlers, the poller and the
// wiring ask the registry; nothing outside provider/ and this package
// switches on a provider's name (internal/layout pins it).
package providers

import (
	"github.com/paysync/paysync/provider/azotte"
	"github.com/paysync/paysync/provider/payunit"
	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/store"
)

// registered lists the providers, one line each, in the order the API's
// documents and the metrics show them.
func registered() []Provider {
	return []Provider{
		{Descriptor: payunit.Descriptor(), account: payunitAccount},
		{Descriptor: azotte.Descriptor(), account: azotteAccount},
	}
}

// Provider is one registered provider: its descriptor, and how to find a
// merchant's account with it.
type Provider struct {
	plugin.Descriptor
	account func(store.Merchant) (plugin.Account, bool)
}

// All returns every registered provider.
func All() []Provider { return registered() }

// Names returns the names of every registered provider.
func Names() []string {
	all := registered()
	names := make([]string, len(all))
	for i, p := range all {
		names[i] = p.Name
	}
	return names
}

// Lookup returns the provider called name; false when none is.
func Lookup(name string) (Provider, bool) {
	for _, p := range registered() {
		if p.Name == name {
			return p, true
		}
	}
	return Provider{}, false
}

// Account returns m's account with p; false when m has none.
func (p Provider) Account(m store.Merchant) (plugin.Account, bool) {
	return p.account(m)
}

// Endpoint returns the identity of the endpoint a check of one of m's
// checkouts at the provider called name goes to (plugin.Descriptor's
// Endpoint): "" when the provider or m's account with it is unknown.
func Endpoint(name string, m store.Merchant) string {
	p, ok := Lookup(name)
	if !ok {
		return ""
	}
	acct, ok := p.Account(m)
	if !ok {
		return ""
	}
	return p.Descriptor.Endpoint(acct)
}
