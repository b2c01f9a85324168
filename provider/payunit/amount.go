package payunit

import (
	"fmt"
	"strconv"
	"strings"
)

// maxAmountExponent bounds the exponent accepted by CanonicalAmount, so that
// "1e999999999" cannot make it allocate a billion zeros.
const maxAmountExponent = 64

// CanonicalAmount returns the canonical text of a non-negative decimal
// amount, so that two amounts are equal exactly when their canonical texts
// are: leading zeros of the integer part are dropped ("0" is kept), trailing
// zeros of the fraction are dropped, and the "." goes when no fraction is
// left. "10" → "10", "10.50" → "10.5", "010.00" → "10", "0.0" → "0".
//
// The input follows JSON number syntax without the sign: digits, an optional
// "." followed by digits, and an optional exponent ("1e3", "2.5E-1") of at
// most 64 in magnitude, converted exactly ("1e3" → "1000", "25e-1" → "2.5").
// No whitespace, sign, "+" or lone "." is accepted. Errors wrap
// ErrInvalidAmount; negative amounts are errors.
func CanonicalAmount(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("canonical amount: empty: %w", ErrInvalidAmount)
	}
	if s[0] == '-' {
		return "", fmt.Errorf("canonical amount: negative: %w", ErrInvalidAmount)
	}
	mant, exp, err := splitExponent(s)
	if err != nil {
		return "", err
	}
	intPart, frac, hasDot := strings.Cut(mant, ".")
	if !allDigits(intPart) || (hasDot && !allDigits(frac)) {
		return "", fmt.Errorf("canonical amount: not a decimal number: %w", ErrInvalidAmount)
	}
	digits := intPart + frac
	point := len(intPart) + exp // index in digits where the decimal point goes
	if point < 0 {
		digits = strings.Repeat("0", -point) + digits
		point = 0
	}
	if point > len(digits) {
		digits += strings.Repeat("0", point-len(digits))
	}
	whole := strings.TrimLeft(digits[:point], "0")
	if whole == "" {
		whole = "0"
	}
	fraction := strings.TrimRight(digits[point:], "0")
	if fraction == "" {
		return whole, nil
	}
	return whole + "." + fraction, nil
}

// splitExponent splits "1.5e-3" into "1.5" and -3.
func splitExponent(s string) (string, int, error) {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return s, 0, nil
	}
	e := s[i+1:]
	sign := 1
	if e != "" && (e[0] == '+' || e[0] == '-') {
		if e[0] == '-' {
			sign = -1
		}
		e = e[1:]
	}
	if !allDigits(e) {
		return "", 0, fmt.Errorf("canonical amount: bad exponent: %w", ErrInvalidAmount)
	}
	e = strings.TrimLeft(e, "0")
	if len(e) > 3 {
		return "", 0, fmt.Errorf("canonical amount: exponent out of range: %w", ErrInvalidAmount)
	}
	n, _ := strconv.Atoi("0" + e) // at most 3 digits, cannot fail
	if n > maxAmountExponent {
		return "", 0, fmt.Errorf("canonical amount: exponent out of range: %w", ErrInvalidAmount)
	}
	return s[:i], sign * n, nil
}

// allDigits reports whether s is non-empty and made of ASCII digits only.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
