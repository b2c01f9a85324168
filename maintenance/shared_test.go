package maintenance_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite/sqlitetest"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// openStore opens the SQLite store at path with opts (the test key added);
// the test's cleanup closes it.
func openStore(t *testing.T, path string, opts store.Options) *store.DB {
	t.Helper()
	opts.MasterKey = testKey
	db, err := sqlitetest.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// dbPath is a fresh database file in the test's temporary directory.
func dbPath(t *testing.T) string { return filepath.Join(t.TempDir(), "paysync.db") }

// gathered returns the value of the series of the metric name in reg
// whose labels, written name=value and sorted, are labels ("" for none).
func gathered(t *testing.T, reg *prometheus.Registry, name, labels string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var got []string
			for _, l := range m.GetLabel() {
				got = append(got, l.GetName()+"="+l.GetValue())
			}
			if strings.Join(got, ",") != labels {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no %s{%s} gathered", name, labels)
	return 0
}
