package app

import (
	"net/http"

	"github.com/paysync/paysync/netguard"
	"github.com/paysync/paysync/poller"
	"github.com/paysync/paysync/providers"
)

// checkers returns the poller's status checkers by provider, one per
// registered provider (providers.Checkers), each talking to its provider
// through a guarded HTTP client, wrapped by cfg.WrapChecker when set.
func checkers(cfg Config) map[string]poller.Checker {
	cs := map[string]poller.Checker{}
	for name, c := range providers.Checkers(providerClient(cfg)) {
		cs[name] = c
		if cfg.WrapChecker != nil {
			cs[name] = cfg.WrapChecker(name, c)
		}
	}
	return cs
}

// providerClient returns, for a provider, the guarded HTTP client that
// talks to it: its status checks and, for one that can, the starts of
// payments (handlers.Config.ProviderClient).
func providerClient(cfg Config) func(providers.Provider) *http.Client {
	return func(p providers.Provider) *http.Client {
		return netguard.HTTPClient(cfg.AllowPrivateURLs, p.Timeout)
	}
}
