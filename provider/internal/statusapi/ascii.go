package statusapi

import "strings"

// asciiSpace is the whitespace Code trims: JSON's own.
const asciiSpace = " \t\r\n"

// Code returns a provider's status code as it must be compared: the text
// with JSON whitespace trimmed and nothing else changed. Providers send
// ASCII codes (SUCCESS, CHECK_OUT_DONE); comparing them exactly keeps
// Unicode case folding from turning "ſuccess" or "ſUCCESS" into SUCCESS.
func Code(s string) string { return strings.Trim(s, asciiSpace) }

// UpperASCII trims s like Code and upper-cases its ASCII letters only
// (a currency or mode code: "xaf" is XAF, "ınr" stays unequal to INR).
func UpperASCII(s string) string {
	b := []byte(Code(s))
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
