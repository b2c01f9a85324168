package store

import (
	"errors"
	"testing"
)

func TestCanonicalAmount(t *testing.T) {
	valid := []struct{ in, want string }{
		{"10", "10"},
		{"10.00", "10"},
		{"10.50", "10.5"},
		{"010.50", "10.5"},
		{"0.5", "0.5"},
		{"00.010", "0.01"},
		{"1", "1"},
		{"1000000", "1000000"},
		{"123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"},
	}
	for _, tt := range valid {
		got, err := CanonicalAmount(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CanonicalAmount(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}
	invalid := []string{"", "-1", "+1", "1e3", "1.", ".5", "0", "0.00", "000", "abc", " 1", "1 ", "1,5", "1.2.3", "١", "0x10", "NaN", "Inf"}
	for _, in := range invalid {
		got, err := CanonicalAmount(in)
		if err == nil {
			t.Errorf("CanonicalAmount(%q) = %q, nil; want an error", in, got)
			continue
		}
		if code := ErrorCode(err); code != EINVALID {
			t.Errorf("CanonicalAmount(%q): code %q, want %q", in, code, EINVALID)
		}
	}
}

func FuzzCanonicalAmount(f *testing.F) {
	for _, s := range []string{"10", "10.00", "010.50", "0", ".5", "1e3", "-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := CanonicalAmount(s)
		if err != nil {
			return
		}
		// Canonical forms are fixed points.
		again, err := CanonicalAmount(c)
		if err != nil || again != c {
			t.Fatalf("CanonicalAmount(%q) = %q, but CanonicalAmount(%q) = %q, %v", s, c, c, again, err)
		}
	})
}

func TestAmountInKeepsTheCurrencyMinorUnits(t *testing.T) {
	valid := []struct{ amount, currency, want string }{
		{"10", "XAF", "10"},
		{"10.00", "XAF", "10"}, // trailing zeros carry no value
		{"2500", "xaf", "2500"},
		{"10.5", "EUR", "10.5"},
		{"10.25", "EUR", "10.25"},
		{"0.001", "KWD", "0.001"},
		{"100", "JPY", "100"},
	}
	for _, tt := range valid {
		got, err := AmountIn(tt.amount, tt.currency)
		if err != nil || got != tt.want {
			t.Errorf("AmountIn(%q, %s) = %q, %v; want %q", tt.amount, tt.currency, got, err, tt.want)
		}
	}
	invalid := []struct{ amount, currency string }{
		{"10.123456789", "XAF"}, {"10.5", "XAF"}, {"10.5", "JPY"}, {"10.125", "EUR"}, {"0.0001", "KWD"},
		{" 10", "XAF"}, {"10 ", "EUR"}, {"10", "XXQ"}, {"10", ""}, {"10", "EURO"},
	}
	for _, tt := range invalid {
		if got, err := AmountIn(tt.amount, tt.currency); err == nil || ErrorCode(err) != EINVALID {
			t.Errorf("AmountIn(%q, %q) = %q, %v; want an EINVALID error", tt.amount, tt.currency, got, err)
		}
	}
	if _, err := AmountIn("10", "XXQ"); !errors.Is(err, ErrUnknownCurrency) {
		t.Errorf("unknown currency: %v, want ErrUnknownCurrency", err)
	}
}
