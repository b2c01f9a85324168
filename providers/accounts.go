package providers

import (
	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/store"
)

// payunitAccount is m's PayUnit account (store.Merchant.PayUnit).
func payunitAccount(m store.Merchant) (plugin.Account, bool) {
	a := m.PayUnit
	if a == nil {
		return plugin.Account{}, false
	}
	return plugin.Account{BaseURL: a.BaseURL, Mode: a.Mode, APIUser: a.APIUser, APIPassword: a.APIPassword, APIKey: a.APIKey}, true
}

// azotteAccount is m's Azotte account (store.Merchant.Azotte).
func azotteAccount(m store.Merchant) (plugin.Account, bool) {
	a := m.Azotte
	if a == nil {
		return plugin.Account{}, false
	}
	return plugin.Account{BaseURL: a.BaseURL, TenantID: a.TenantID, APIKey: a.APIKey}, true
}
