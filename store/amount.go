package store

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/currency"
)

// ErrUnknownCurrency is wrapped by AmountIn's error for a currency code
// that is not in ISO 4217.
var ErrUnknownCurrency = errors.New("unknown currency")

// AmountIn returns amount in canonical form (CanonicalAmount) after
// checking that the currency can hold it: no more decimals than the
// currency's ISO 4217 minor units, once trailing zeros are dropped
// ("10.123" XAF, which has none, is refused; "10.00" XAF is "10"). The
// minor units come from golang.org/x/text/currency (CLDR's maintained
// table, Standard rounding). Errors are EINVALID; an unknown currency
// also wraps ErrUnknownCurrency. This is the rule a registration's amount
// keeps (RegisterCheckout and the API's validation call it).
func AmountIn(amount, code string) (string, error) {
	canon, err := CanonicalAmount(amount)
	if err != nil {
		return "", err
	}
	digits, err := MinorUnits(code)
	if err != nil {
		return "", err
	}
	_, frac, _ := strings.Cut(canon, ".")
	if len(frac) > digits {
		if digits == 0 {
			return "", Errorf(EINVALID, "amount %q has decimals but %s has no minor units", amount, strings.ToUpper(code))
		}
		return "", Errorf(EINVALID, "amount %q has more than %d decimals, the minor units of %s", amount, digits, strings.ToUpper(code))
	}
	return canon, nil
}

// MinorUnits returns how many decimals the ISO 4217 currency code has
// (XAF 0, EUR 2, KWD 3), or EINVALID wrapping ErrUnknownCurrency.
func MinorUnits(code string) (int, error) {
	unit, err := currency.ParseISO(code)
	if err != nil || len(code) != 3 {
		return 0, fmt.Errorf("%w: %w", Errorf(EINVALID, "currency %q is not an ISO 4217 code", code), ErrUnknownCurrency)
	}
	scale, _ := currency.Standard.Rounding(unit)
	return scale, nil
}

// CanonicalAmount returns a positive decimal amount in major units in one
// spelling ("010.50" → "10.5", "10.00" → "10"), so amounts compare exactly as
// text and never as floats. It fails with EINVALID for anything else
// (signs, exponents, spaces, empty parts, zero).
func CanonicalAmount(s string) (string, error) {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && frac == "") || !digits(intPart) || !digits(frac) {
		return "", Errorf(EINVALID, "amount %q is not a decimal like 10 or 10.50", s)
	}
	intPart = strings.TrimLeft(intPart, "0")
	frac = strings.TrimRight(frac, "0")
	if intPart == "" {
		intPart = "0"
	}
	if intPart == "0" && frac == "" {
		return "", Errorf(EINVALID, "amount must be greater than zero")
	}
	if frac == "" {
		return intPart, nil
	}
	return intPart + "." + frac, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
