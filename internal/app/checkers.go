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
	for name, c := range providers.Checkers(func(p providers.Provider) *http.Client {
		return netguard.HTTPClient(cfg.AllowPrivateURLs, p.Timeout)
	}) {
		cs[name] = c
		if cfg.WrapChecker != nil {
			cs[name] = cfg.WrapChecker(name, c)
		}
	}
	return cs
}
