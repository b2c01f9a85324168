package payunit

import (
	"os"
	"testing"
)

// BenchmarkParseStatus measures one pass over a status answer (statusapi.Parse).
func BenchmarkParseStatus(b *testing.B) {
	body, err := os.ReadFile("testdata/status_success.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseStatus(body); err != nil {
			b.Fatal(err)
		}
	}
}
