package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// sharedPair starts two instances on one fresh PostgreSQL database and a
// sandbox PayUnit.
func sharedPair(t *testing.T) (a, b *App, pu *sandbox.PayUnit, m store.CreatedMerchant) {
	t.Helper()
	url := pgtest.Start(t).Database(t)
	pu = sandbox.NewPayUnit(sandbox.PayUnitConfig{})
	provider := httptest.NewServer(pu)
	t.Cleanup(provider.Close)
	start := func() *App {
		cfg := Config{Addr: "127.0.0.1:0", DB: url, MasterKey: testKey, AllowPrivateURLs: true}
		app, err := Start(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := app.Shutdown(); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		})
		return app
	}
	a, b = start(), start()
	var err error
	m, err = a.Store().CreateMerchant(context.Background(), store.NewMerchant{Name: "acme",
		PayUnit: &store.PayUnitAccount{BaseURL: provider.URL, APIUser: "sandbox", APIPassword: "sandbox", APIKey: "test_sandbox_key", Mode: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	return a, b, pu, m
}

// TestSharedChangeReachesOtherInstanceFeed: a change committed by instance
// A reaches a long-poll held on instance B (LISTEN/NOTIFY relay).
func TestSharedChangeReachesOtherInstanceFeed(t *testing.T) {
	a, b, _, m := sharedPair(t)
	a.Poller().Stop() // this test applies by hand
	b.Poller().Stop()
	ctx := context.Background()
	c, _, err := a.Store().RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		Reference: "order-1", Amount: "2500", Currency: "XAF", FirstCheckAt: time.Now().Add(-time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		version int64
		took    time.Duration
		err     error
	}
	done := make(chan answer, 1)
	req, _ := http.NewRequest(http.MethodGet, b.PublicURL()+"/v1/checkouts/"+c.ID+"?wait=25s", nil)
	req.Header.Set("Authorization", "Bearer "+m.APIKey)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		var body struct {
			Version int64 `json:"version"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		done <- answer{version: body.Version, err: err}
	}()
	testwait.For(t, "B's long-poll to subscribe", func() bool { return b.Feed().Watching(c.ID) })
	changedAt := time.Now()
	if _, err := a.Store().RequestCheck(ctx, m.ID, c.ID); err != nil { // no version change: must not end the wait
		t.Fatal(err)
	}
	claimed, err := a.Store().ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %d, %v", len(claimed), err)
	}
	obs := store.Observation{CheckoutID: c.ID, Version: claimed[0].Version, WakeSeq: claimed[0].WakeSeq, ClaimSeq: claimed[0].ClaimSeq,
		Checked: true, State: store.StateFailed, ProviderStatus: "FAILED", ResolvedBy: store.SourcePoll, Attempts: 1}
	after, err := a.Store().Apply(ctx, obs)
	if err != nil {
		t.Fatal(err)
	}
	got := testwait.Signal(t, "B's long-poll to answer", done)
	if got.err != nil || got.version != after.Version {
		t.Fatalf("B's long-poll answered version %d (%v), want %d", got.version, got.err, after.Version)
	}
	t.Logf("a change applied on A reached B's long-poll after %v", time.Since(changedAt))
}

// TestSharedCallbackWakesOtherInstancePoller: a callback stored through A,
// whose own poller is stopped, is checked at once by B's poller (woken by
// the relayed signal, long before its idle look or the poll grace).
func TestSharedCallbackWakesOtherInstancePoller(t *testing.T) {
	a, b, pu, m := sharedPair(t)
	a.Poller().Stop()
	ctx := context.Background()
	pay := pu.Create(sandbox.Payment{TransactionID: "order-2", Amount: "2500", Currency: "XAF"})
	c, _, err := b.Store().RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		Reference: "order-2", Amount: "2500", Currency: "XAF", FirstCheckAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := pu.SetStatus(pay, sandbox.StatusSuccess); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(a.PublicURL()+"/hooks/payunit/"+m.HookToken, "application/json",
		strings.NewReader(`{"transaction_id":"order-2","status":"SUCCESS"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("callback through A: %d", resp.StatusCode)
	}
	testwait.For(t, "B's poller to settle the checkout", func() bool {
		got, err := b.Store().Checkout(ctx, m.ID, c.ID)
		return err == nil && got.State == store.StateSucceeded
	})
	if pu.Checks("order-2") == 0 {
		t.Fatal("settled without a status check")
	}
}
