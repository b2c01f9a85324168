package app

import (
	"github.com/paysync/paysync/netguard"
	"github.com/paysync/paysync/poller"
	"github.com/paysync/paysync/provider/azotte"
	"github.com/paysync/paysync/provider/payunit"
	"github.com/paysync/paysync/store"
)

// checkers returns the poller's status checkers by provider, each talking
// to its provider through a guarded HTTP client, wrapped by
// cfg.WrapChecker when set.
func checkers(cfg Config) map[string]poller.Checker {
	allow := cfg.AllowPrivateURLs
	cs := map[string]poller.Checker{
		store.ProviderPayUnit: poller.PayUnitChecker{Client: payunit.New(netguard.HTTPClient(allow, payunit.DefaultTimeout))},
		store.ProviderAzotte:  poller.AzotteChecker{Client: azotte.New(netguard.HTTPClient(allow, azotte.DefaultTimeout))},
	}
	if cfg.WrapChecker != nil {
		for name, c := range cs {
			cs[name] = cfg.WrapChecker(name, c)
		}
	}
	return cs
}
