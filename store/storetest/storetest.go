// Package storetest is the conformance suite every store.Backend must
// pass, the way river's driver test suite runs against each of its
// drivers: the store's rules, run on the backend with real concurrent
// writers where the rule is about races. A backend's own test calls Run
// with a Harness that opens fresh databases of its kind.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
)

// Harness opens databases of one backend for the suite.
type Harness struct {
	// Open returns a fresh, empty, migrated backend; the suite closes it.
	Open func(t *testing.T) store.Backend
}

// Run runs every conformance test against the harness's backend.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(*testing.T, *rig)
	}{
		{"ConcurrentRegistrationCreatesOne", testConcurrentRegistration},
		{"ConcurrentRegistrationByIdempotencyKey", testConcurrentIdempotencyKey},
		{"CallbackRacingRegistrationIsNeverLost", testCallbackRacesRegistration},
		{"ConcurrentSecretRotationsChain", testConcurrentRotations},
		{"ConcurrentClaimsAreExclusive", testConcurrentClaims},
		{"ExpiredLeaseTakenOverStaleApplyRefused", testLeaseTakeover},
		{"LiveLeaseHeldAgainstAnotherInstance", testLiveLeaseHeld},
		{"ConcurrentAppliesSettleOnce", testConcurrentApplies},
		{"BatchAppliesEachOnItsOwnClaim", testApplyBatch},
		{"BatchFailingWholeAppliesEachAlone", testApplyBatchFallsBack},
		{"ConcurrentDeliveryClaimsAreExclusive", testConcurrentDeliveryClaims},
		{"StaleDispatcherOutcomeIgnored", testStaleDeliveryOutcome},
		{"BatchedOutcomesEachOnItsOwnClaim", testRecordAttempts},
		{"HandedDeliveryLeasedAndFenced", testHandOff},
		{"ClaimCarriesDueTime", testClaimDueAt},
		{"HeldDeliveryOfReenabledEndpointGoesOut", testHeldAfterEnableGoesOut},
		{"CallbackAdoptedWhenProviderRefLearned", testCallbackAdoptedWhenProviderRefLearned},
		{"ConsoleMerchantScope", testConsoleMerchantScope},
		{"ConsoleSearch", testConsoleSearch},
		{"ConsoleOverviewAndReplay", testConsoleOverviewAndReplay},
		{"RetentionPurgesSettledHistoryKeepsVerdict", testRetention},
		{"ConcurrentSweepsPurgeEachOnce", testConcurrentSweeps},
		{"IdenticalStatusChecksFold", testStatusChecksFold},
		{"ListFiltersFindTheirCheckouts", testListFilters},
		{"UnmatchedCallbacksBounded", testUnmatchedBounds},
		{"ReadinessWriteAndMasterKey", testReadinessAndMasterKey},
		{"InboxQueuesThenDrains", testInboxQueuesThenDrains},
		{"InboxSettledCheckoutNotWoken", testInboxSettledCheckoutNotWoken},
		{"InboxSkipsPast", testInboxSkipsPast},
		{"ConcurrentDrainsProcessEachOnce", testConcurrentDrainsProcessEachOnce},
		{"UnmatchedTotalsFollow", testUnmatchedTotalsFollow},
		{"InboxNamedOnlyWhatWasFound", testInboxNamedOnlyWhatWasFound},
		{"InboxRefusedEntryMovedAside", testInboxRefusedEntryMovedAside},
		{"CallbacksBoundedPerCheckout", testCallbacksBoundedPerCheckout},
		{"RevFollowsEveryWrite", testRevFollowsEveryWrite},
		{"StartRecorded", testStartRecorded},
		{"LiveInstanceKeepsItsClaims", testLiveInstanceKeepsItsClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newRig(t, h)) })
	}
}

// masterKey is a fixed 32-byte master key.
var masterKey = []byte("0123456789abcdef0123456789abcdef")

// rig is one test's database: a backend, the store over it on a settable
// clock, and a merchant with a webhook URL.
type rig struct {
	t        *testing.T
	backend  store.Backend
	clock    *sandbox.Clock
	db       *store.DB
	merchant store.CreatedMerchant
}

func newRig(t *testing.T, h Harness) *rig {
	t.Helper()
	b := h.Open(t)
	clock := sandbox.NewClock(time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC))
	db, err := store.New(b, store.Options{MasterKey: masterKey, Now: clock.Now})
	if err != nil {
		b.Close()
		t.Fatalf("store.New: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	r := &rig{t: t, backend: b, clock: clock, db: db}
	r.merchant = r.newMerchant("acme")
	return r
}

// instance returns another store over the same database, as a second
// paysync process would have (its own clock reading the same time).
func (r *rig) instance() *store.DB {
	r.t.Helper()
	db, err := store.New(r.backend, store.Options{MasterKey: masterKey, Now: r.clock.Now})
	if err != nil {
		r.t.Fatal(err)
	}
	return db // not closed: it shares r's backend, which r closes
}

func (r *rig) newMerchant(name string) store.CreatedMerchant {
	r.t.Helper()
	m, err := r.db.CreateMerchant(context.Background(), store.NewMerchant{
		Name: name, WebhookURL: "https://shop.example/hooks", ReturnHosts: []string{"shop.example"},
		PayUnit: &store.PayUnitAccount{BaseURL: "https://gateway.payunit.net", Mode: "test",
			APIUser: "u", APIPassword: "p", APIKey: "k"},
	})
	if err != nil {
		r.t.Fatalf("CreateMerchant: %v", err)
	}
	return m
}

// registration is a PayUnit checkout of reference ref, due at first.
func (r *rig) registration(ref string, first time.Time) store.NewCheckout {
	return store.NewCheckout{MerchantID: r.merchant.ID, Provider: store.ProviderPayUnit, Reference: ref,
		Amount: "2500", Currency: "XAF", SuccessURL: "https://shop.example/ok", CancelURL: "https://shop.example/no",
		FirstCheckAt: first}
}

func (r *rig) register(ref string, first time.Time) store.Checkout {
	r.t.Helper()
	c, created, err := r.db.RegisterCheckout(context.Background(), r.registration(ref, first))
	if err != nil || !created {
		r.t.Fatalf("RegisterCheckout(%s) = created %v, %v", ref, created, err)
	}
	return c
}

// observation is what a check of the claimed c saw.
func observation(c store.Checkout, state store.State, status string) store.Observation {
	return store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq, ClaimSeq: c.ClaimSeq,
		Checked: true, State: state, ProviderStatus: status, Amount: "2500", Currency: "XAF",
		ResolvedBy: store.SourcePoll, Attempts: c.Attempts + 1}
}

// together runs fn(i) for i in [0, n) on n goroutines released at once,
// and waits for all.
func together(n int, fn func(i int)) {
	start := make(chan struct{})
	done := make(chan struct{}, n)
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			fn(i)
		}()
	}
	close(start)
	for range n {
		<-done
	}
}
