package provider

// Account is a merchant's account at one provider, as its checker and
// CheckAccount see it. Each provider uses the fields it knows and ignores
// the others.
type Account struct {
	BaseURL     string // the API's root, e.g. https://gateway.payunit.net
	Mode        string // "live" or "test" (PayUnit)
	APIUser     string // PayUnit
	APIPassword string // PayUnit
	APIKey      string
	TenantID    string // Azotte's x-tn
}

// Checkout is what a checker knows of the checkout it asks about.
type Checkout struct {
	// Reference is the merchant's reference (PayUnit's transaction_id).
	Reference string
	// ProviderRef is the provider's id of the checkout, "" until known.
	ProviderRef string
}
