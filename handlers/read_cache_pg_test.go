package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/postgres"
	"github.com/paysync/paysync/store/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestValidatedReadsSeeAnotherInstance: two store instances on one
// PostgreSQL schema, as two paysync processes; this one's router serves
// reads from its cache with ReadsValidated and hears only its own
// commits (no relay). What the other instance commits (a callback, which
// keeps the version, then the verdict) is in the very next read here.
func TestValidatedReadsSeeAnotherInstance(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.Start(t)
	schema := srv.Schema(t)
	key32 := bytes.Repeat([]byte{7}, 32)
	h := &harness{t: t, waker: &fakeWaker{}, logs: &syncBuffer{},
		clock: &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}, changes: store.NewFeed()}
	open := func(opts store.Options) *store.DB {
		b, err := postgres.Open(ctx, srv.URL, postgres.Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		opts.MasterKey, opts.Now = key32, h.clock.Now
		db, err := store.New(b, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	h.db = open(store.Options{OnChange: h.changes.Publish, OnTouch: h.changes.Touch})
	other := open(store.Options{})
	cfg := Config{Store: h.db, Waker: h.waker, Logger: slog.New(slog.NewJSONHandler(h.logs, nil)),
		PublicURL: "http://paysync.test/", AdminToken: testAdminToken, Now: h.clock.Now, Changes: h.changes}
	plain, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Reads = ReadsValidated
	if h.e, err = New(cfg); err != nil {
		t.Fatal(err)
	}

	m, key := h.merchant()
	id := decode(t, h.checkout(key, "Pu-shared", "10"))["id"].(string)
	before := h.read(plain, key, id)
	h.read(plain, key, id) // cached

	h.clock.Add(time.Second)
	if _, err := other.RecordNotification(ctx, store.Notification{MerchantID: m["id"].(string), Provider: store.ProviderPayUnit,
		TransactionID: "Pu-shared", Status: "SUCCESS", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if got := h.read(plain, key, id); got == before {
		t.Fatal("the other instance's callback is not in the next read")
	}

	h.clock.Add(2 * time.Minute)
	claimed, err := other.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %d, %v", len(claimed), err)
	}
	c := claimed[0]
	if _, err := other.Apply(ctx, store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq, ClaimSeq: c.ClaimSeq,
		Checked: true, State: store.StateSucceeded, ProviderStatus: "SUCCESS", Amount: "10", Currency: "XAF",
		ResolvedBy: store.SourcePoll, Attempts: 1}); err != nil {
		t.Fatal(err)
	}
	rec := h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil)
	if got := decode(t, rec)["state"]; got != "succeeded" {
		t.Fatalf("after the other instance's verdict, state %v, want succeeded", got)
	}
	h.read(plain, key, id)
}
