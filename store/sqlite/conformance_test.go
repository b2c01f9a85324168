package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/storetest"
)

// TestConformance runs the backend-neutral suite on a fresh SQLite file per test.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{Open: func(t *testing.T) store.Backend {
		b, err := Open(context.Background(), filepath.Join(t.TempDir(), "conformance.db"), Options{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return b
	}})
}
