package azotte

import (
	"net/http"

	"github.com/paysync/paysync/provider/plugin"
)

// Name is Azotte's name in the API and the database.
const Name = "azotte"

// Descriptor returns Azotte as a provider plug-in: status checks by
// tracking number under the merchant's tenant, no callbacks, and a first
// check at once, since Azotte's answer (PROCESSING with Retry-After, or
// the 3-D Secure step the buyer waits for) is needed now.
func Descriptor() plugin.Descriptor {
	return plugin.Descriptor{
		Name:         Name,
		Title:        "Azotte",
		NewChecker:   func(hc *http.Client) plugin.Checker { return Checker{Client: New(hc)} },
		Timeout:      DefaultTimeout,
		FirstCheck:   plugin.AtOnce,
		CheckAccount: checkAccount,
		Registration: plugin.Registration{NeedsProviderRef: true},
	}
}

// checkAccount returns what is wrong with an Azotte account: the tenant
// id and API key are required.
func checkAccount(a plugin.Account) []plugin.FieldError {
	return plugin.CheckCredentials("tenant_id", a.TenantID, "api_key", a.APIKey)
}
