package handlers

import (
	"errors"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"unicode"

	"github.com/go-playground/validator/v10"

	"github.com/paysync/paysync/netguard"
)

// requestValidator is Echo's Validator: validator/v10 with paysync's tags,
// reporting fields by their JSON names.
type requestValidator struct{ v *validator.Validate }

// newValidator registers the custom tags:
//   - httpurl: an absolute http or https URL with a host
//   - publichost: a URL whose host is not loopback, private, link-local,
//     unspecified or "localhost" (always true when allowPrivate)
//   - printable: printable characters only
func newValidator(allowPrivate bool) *requestValidator {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	must(v.RegisterValidation("httpurl", func(fl validator.FieldLevel) bool {
		return isHTTPURL(fl.Field().String())
	}))
	must(v.RegisterValidation("publichost", func(fl validator.FieldLevel) bool {
		u, err := url.Parse(fl.Field().String())
		return allowPrivate || (err == nil && !isPrivateHost(u.Hostname()))
	}))
	must(v.RegisterValidation("printable", func(fl validator.FieldLevel) bool {
		return strings.IndexFunc(fl.Field().String(), func(r rune) bool { return !unicode.IsPrint(r) }) < 0
	}))
	return &requestValidator{v: v}
}

func must(err error) {
	if err != nil {
		panic(err) // a tag registration error is a programming error
	}
}

// Validate implements echo.Validator. It returns a 422 *apiError listing
// every invalid field.
func (rv *requestValidator) Validate(i any) error {
	err := rv.v.Struct(i)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	fields := make([]fieldError, 0, len(verrs))
	for _, fe := range verrs {
		fields = append(fields, fieldError{Field: jsonPath(fe.Namespace()), Message: message(fe)})
	}
	return invalid(fields...)
}

// jsonPath drops the struct name from a validator namespace:
// "merchantRequest.payunit.base_url" → "payunit.base_url".
func jsonPath(ns string) string {
	_, rest, ok := strings.Cut(ns, ".")
	if !ok {
		return ns
	}
	return rest
}

// message is the client-facing text of one failed validation.
func message(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "required_if":
		return "is required for this provider"
	case "max":
		return "must be at most " + fe.Param() + " characters"
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "iso4217":
		return "must be an ISO 4217 currency code such as XAF"
	case "iso3166_1_alpha2":
		return "must be an ISO 3166-1 alpha-2 country code such as CM"
	case "httpurl":
		return "must be an absolute http or https URL"
	case "publichost":
		return "must not point to a loopback, private, link-local or unspecified address"
	case "printable":
		return "must contain printable characters only"
	case "hostname_rfc1123|ip":
		return "must be a hostname"
	}
	return "is invalid (" + fe.Tag() + ")"
}

// isHTTPURL reports whether s is an absolute http(s) URL with a host and
// no user info.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" && u.User == nil
}

// isPrivateHost reports whether host is "localhost" (or under it) or a
// literal IP that is not public (loopback, private, link-local, metadata,
// CGNAT, multicast, unspecified …). Names that resolve to such addresses
// are refused when connecting (netguard).
func isPrivateHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && !netguard.PublicAddr(ip) // the connect-time guard's own rule
}
