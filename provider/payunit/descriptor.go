package payunit

import (
	"net/http"
	"net/url"

	"github.com/paysync/paysync/provider/plugin"
)

// Name is PayUnit's name in the API and the database.
const Name = "payunit"

// Descriptor returns PayUnit as a provider plug-in: status checks by
// transaction id (the merchant's reference) or checkout id, callbacks at
// notify_url, and a first check after the poll grace, since PayUnit's
// callback usually comes first; payments started with the initialize call
// (Client.Start).
func Descriptor() plugin.Descriptor {
	return plugin.Descriptor{
		Name:          Name,
		Title:         "PayUnit",
		NewChecker:    func(hc *http.Client) plugin.Checker { return Checker{Client: New(hc)} },
		Timeout:       DefaultTimeout,
		FirstCheck:    plugin.AfterGrace,
		ParseCallback: parseCallback,
		CheckAccount:  checkAccount,
		Registration:  plugin.Registration{NeedsReference: true},
		Start:         start,
	}
}

// parseCallback is ParseNotification in the provider's terms.
func parseCallback(contentType string, body []byte, query url.Values) (plugin.Callback, error) {
	n, err := ParseNotification(contentType, body, query)
	if err != nil {
		return plugin.Callback{}, err
	}
	return plugin.Callback{TransactionID: n.TransactionID, CheckoutID: n.CheckoutID, Status: n.Status}, nil
}

// checkAccount returns what is wrong with a PayUnit account: the API
// user, password and key are required, the mode is live or test.
func checkAccount(a plugin.Account) []plugin.FieldError {
	errs := plugin.CheckCredentials("api_user", a.APIUser, "api_password", a.APIPassword, "api_key", a.APIKey)
	switch a.Mode {
	case "live", "test":
	case "":
		errs = append(errs, plugin.FieldError{Field: "mode", Message: "is required"})
	default:
		errs = append(errs, plugin.FieldError{Field: "mode", Message: "must be one of: live, test"})
	}
	return errs
}
