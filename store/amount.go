package store

import "strings"

// CanonicalAmount returns a positive decimal amount in major units in one
// spelling ("010.50" → "10.5", "10.00" → "10"), so amounts compare exactly as
// text and never as floats. It fails with EINVALID for anything else
// (signs, exponents, empty parts, zero).
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
