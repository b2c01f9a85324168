package app

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/paysync/paysync/store"
)

// TestWrongMasterKeyRefused: over a database whose merchants' secrets were
// sealed under one key, Start and CreateMerchant refuse another
// well-formed key (and no key), so nothing is sealed under two keys; the
// right key still starts.
func TestWrongMasterKeyRefused(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	if _, err := CreateMerchant(ctx, cfg, store.NewMerchant{Name: "acme"}); err != nil {
		t.Fatal(err)
	}
	wrong := cfg
	wrong.MasterKey = bytes.Repeat([]byte{'w'}, 32)
	if a, err := Start(ctx, wrong); err == nil || !strings.Contains(err.Error(), "--master-key") {
		if a != nil {
			a.Shutdown()
		}
		t.Fatalf("Start with a wrong master key: %v, want a refusal naming --master-key", err)
	}
	if _, err := CreateMerchant(ctx, wrong, store.NewMerchant{Name: "evil"}); err == nil {
		t.Fatal("CreateMerchant sealed a merchant under a second key")
	}
	none := cfg
	none.MasterKey = nil
	if a, err := Start(ctx, none); err == nil {
		a.Shutdown()
		t.Fatal("Start without a master key over merchants succeeded")
	}
	a, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("Start with the sealing key: %v", err)
	}
	if err := a.Shutdown(); err != nil {
		t.Fatal(err)
	}
}

// TestShortTokensRefused: Start refuses an admin or metrics token shorter
// than MinTokenLength.
func TestShortTokensRefused(t *testing.T) {
	for _, edit := range []func(*Config){
		func(c *Config) { c.AdminToken = "a" },
		func(c *Config) { c.MetricsToken = strings.Repeat("m", MinTokenLength-1) },
	} {
		cfg := testConfig(t)
		edit(&cfg)
		if a, err := Start(context.Background(), cfg); err == nil {
			a.Shutdown()
			t.Errorf("Start with %+v succeeded", cfg)
		}
	}
}
