package payunit

import (
	"net/http"
	"net/url"

	"github.com/paysync/paysync/provider"
)

// Name is PayUnit's name in the API and the database.
const Name = "payunit"

// Descriptor returns PayUnit as a provider plug-in: status checks by
// transaction id (the merchant's reference) or checkout id, callbacks at
// notify_url, and a first check after the poll grace, since PayUnit's
// callback usually comes first.
func Descriptor() provider.Descriptor {
	return provider.Descriptor{
		Name:          Name,
		Title:         "PayUnit",
		NewChecker:    func(hc *http.Client) provider.Checker { return Checker{Client: New(hc)} },
		Timeout:       DefaultTimeout,
		FirstCheck:    provider.AfterGrace,
		ParseCallback: parseCallback,
		Registration:  provider.Registration{NeedsReference: true},
	}
}

// parseCallback is ParseNotification in the provider's terms.
func parseCallback(contentType string, body []byte, query url.Values) (provider.Callback, error) {
	n, err := ParseNotification(contentType, body, query)
	if err != nil {
		return provider.Callback{}, err
	}
	return provider.Callback{TransactionID: n.TransactionID, CheckoutID: n.CheckoutID, Status: n.Status}, nil
}
