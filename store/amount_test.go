package store

import "testing"

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
