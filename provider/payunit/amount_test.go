package payunit

import (
	"errors"
	"testing"
)

func TestCanonicalAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"10", "10", true},
		{"10.50", "10.5", true},
		{"010.00", "10", true},
		{"0", "0", true},
		{"000", "0", true},
		{"0.0", "0", true},
		{"0.010", "0.01", true},
		{"1e3", "1000", true},
		{"1E+3", "1000", true},
		{"1.5e2", "150", true},
		{"25e-1", "2.5", true},
		{"1e-3", "0.001", true},
		{"0.5e1", "5", true},
		{"123.456e-5", "0.00123456", true},
		{"1e064", "1" + zeros(64), true},
		{"", "", false},
		{"-1", "", false},
		{"-0", "", false},
		{"+1", "", false},
		{" 1", "", false},
		{"1 ", "", false},
		{"abc", "", false},
		{"1.", "", false},
		{".5", "", false},
		{"1.2.3", "", false},
		{"1e", "", false},
		{"1e+", "", false},
		{"e3", "", false},
		{"1e65", "", false},
		{"1e-9999", "", false},
		{"1e99999999999999999999", "", false},
		{"1,5", "", false},
		{"NaN", "", false},
		{"Infinity", "", false},
		{"0x10", "", false},
		{"١٠", "", false}, // Arabic-Indic digits
	}
	for _, tt := range tests {
		got, err := CanonicalAmount(tt.in)
		if tt.ok {
			if err != nil || got != tt.want {
				t.Errorf("CanonicalAmount(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if !errors.Is(err, ErrInvalidAmount) {
			t.Errorf("CanonicalAmount(%q) = %q, %v; want ErrInvalidAmount", tt.in, got, err)
		}
	}
}

func zeros(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0'
	}
	return string(b)
}
