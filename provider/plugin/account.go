package plugin

import "fmt"

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

// FieldError is what is wrong with one field of an Account, the field
// named as in the merchant document ("api_key").
type FieldError struct {
	Field   string
	Message string
}

// MaxCredential is the longest credential (user, password, key, tenant)
// an Account may hold.
const MaxCredential = 512

// CheckCredential returns the error of a credential field: required, at
// most MaxCredential bytes; nil when value is fine.
func CheckCredential(field, value string) *FieldError {
	switch {
	case value == "":
		return &FieldError{field, "is required"}
	case len(value) > MaxCredential:
		return &FieldError{field, fmt.Sprintf("must be at most %d characters", MaxCredential)}
	}
	return nil
}

// CheckCredentials returns the errors of the credential fields given as
// name, value pairs, in that order.
func CheckCredentials(fields ...string) []FieldError {
	var errs []FieldError
	for i := 0; i+1 < len(fields); i += 2 {
		if fe := CheckCredential(fields[i], fields[i+1]); fe != nil {
			errs = append(errs, *fe)
		}
	}
	return errs
}
