package store

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	now := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	later := now.Add(30 * time.Second)
	created := now.Add(-time.Hour)
	base := Checkout{
		ID: "chk_1", MerchantID: "mer_1", Provider: ProviderPayUnit, Reference: "Pu-CK-1",
		Amount: "10", Currency: "XAF", State: StatePending,
		CreatedAt: created, UpdatedAt: created, Version: 3,
	}
	with := func(f func(*Checkout)) Checkout {
		c := base
		f(&c)
		return c
	}
	success := Observation{Checked: true, State: StateSucceeded, ProviderStatus: "SUCCESS",
		Amount: "10.00", Currency: "XAF", ResolvedBy: SourcePoll, Attempts: 2, NextCheckAt: &later}
	obs := func(f func(*Observation)) Observation {
		o := success
		f(&o)
		return o
	}
	pending := obs(func(o *Observation) {
		o.State, o.ProviderStatus, o.Amount, o.Currency = StatePending, "PENDING", "", ""
	})
	credentials := &Anomaly{Code: AnomalyCredentials, Detail: "provider answered 401"}
	redirect := &Action{Instructions: json.RawMessage(`{"url":"https://3ds.example/x"}`)}

	tests := []struct {
		name string
		c    Checkout
		o    Observation

		state       State
		anomaly     string // anomaly code, "" for none
		events      []string
		version     int64
		nextCheck   bool // NextCheckAt set (to o.NextCheckAt)
		providerRef string
		resolvedBy  string
	}{
		{
			name: "pending to succeeded, 10.00 reported for 10 registered",
			c:    base, o: success,
			state: StateSucceeded, events: []string{EventStatusChecked, EventStateChanged},
			version: 4, resolvedBy: SourcePoll,
		},
		{
			name: "currency compared without case",
			c:    base, o: obs(func(o *Observation) { o.Currency = "xaf" }),
			state: StateSucceeded, events: []string{EventStatusChecked, EventStateChanged},
			version: 4, resolvedBy: SourcePoll,
		},
		{
			name: "amount mismatch keeps the state and raises an anomaly",
			c:    base, o: obs(func(o *Observation) { o.Amount = "10.01" }),
			state: StatePending, anomaly: AnomalyAmountMismatch,
			events: []string{EventStatusChecked, EventAnomaly}, version: 4, nextCheck: true,
		},
		{
			name: "larger amount is a mismatch too",
			c:    base, o: obs(func(o *Observation) { o.Amount = "100" }),
			state: StatePending, anomaly: AnomalyAmountMismatch,
			events: []string{EventStatusChecked, EventAnomaly}, version: 4, nextCheck: true,
		},
		{
			name: "unparsable amount is a mismatch",
			c:    base, o: obs(func(o *Observation) { o.Amount = "1e1" }),
			state: StatePending, anomaly: AnomalyAmountMismatch,
			events: []string{EventStatusChecked, EventAnomaly}, version: 4, nextCheck: true,
		},
		{
			name: "currency mismatch",
			c:    base, o: obs(func(o *Observation) { o.Currency = "EUR" }),
			state: StatePending, anomaly: AnomalyCurrencyMismatch,
			events: []string{EventStatusChecked, EventAnomaly}, version: 4, nextCheck: true,
		},
		{
			name: "missing amount",
			c:    base, o: obs(func(o *Observation) { o.Amount = "" }),
			state: StatePending, anomaly: AnomalyAmountUnverified,
			events: []string{EventStatusChecked, EventAnomaly}, version: 4, nextCheck: true,
		},
		{
			name: "missing currency",
			c:    base, o: obs(func(o *Observation) { o.Currency = "" }),
			state: StatePending, anomaly: AnomalyAmountUnverified,
			events: []string{EventStatusChecked, EventAnomaly}, version: 4, nextCheck: true,
		},
		{
			name: "no amount but identity verified by reference (Azotte)",
			c:    with(func(c *Checkout) { c.Provider, c.ProviderRef = ProviderAzotte, "trk_1" }),
			o: obs(func(o *Observation) {
				o.ProviderStatus, o.Amount, o.Currency, o.ProviderRef, o.VerifiedByReference = "CHECK_OUT_DONE", "", "", "trk_1", true
			}),
			state: StateSucceeded, events: []string{EventStatusChecked, EventStateChanged},
			version: 4, resolvedBy: SourcePoll, providerRef: "trk_1",
		},
		{
			name: "verified by reference, but the provider names another tracking number",
			c:    with(func(c *Checkout) { c.Provider, c.ProviderRef = ProviderAzotte, "trk_1" }),
			o: obs(func(o *Observation) {
				o.ProviderStatus, o.Amount, o.Currency, o.ProviderRef, o.VerifiedByReference = "CHECK_OUT_DONE", "", "", "trk_2", true
			}),
			state: StatePending, anomaly: AnomalyReferenceMismatch,
			events: []string{EventStatusChecked, EventAnomaly}, version: 4, nextCheck: true, providerRef: "trk_1",
		},
		{
			name: "verified by reference without a registered provider_ref is refused",
			c:    base,
			o: obs(func(o *Observation) {
				o.ProviderStatus, o.Amount, o.Currency, o.VerifiedByReference = "CHECK_OUT_DONE", "", "", true
			}),
			state: StatePending, anomaly: AnomalyAmountUnverified,
			events: []string{EventStatusChecked, EventAnomaly}, version: 4, nextCheck: true,
		},
		{
			name: "verified by reference still checks an amount the provider does report",
			c:    with(func(c *Checkout) { c.ProviderRef = "trk_1" }),
			o: obs(func(o *Observation) {
				o.Amount, o.ProviderRef, o.VerifiedByReference = "11", "trk_1", true
			}),
			state: StatePending, anomaly: AnomalyAmountMismatch,
			events: []string{EventStatusChecked, EventAnomaly}, version: 4, nextCheck: true, providerRef: "trk_1",
		},
		{
			name:  "a clean answer clears not_found",
			c:     with(func(c *Checkout) { c.Anomaly = &Anomaly{Code: AnomalyNotFound, Detail: "404"} }),
			o:     pending,
			state: StatePending, events: []string{EventStatusChecked}, version: 4, nextCheck: true,
		},
		{
			name: "a failed check keeps conflict",
			c:    with(func(c *Checkout) { c.Anomaly = &Anomaly{Code: AnomalyConflict, Detail: "409"} }),
			o: obs(func(o *Observation) {
				o.State, o.ProviderStatus, o.Amount, o.Currency, o.Failure = "", "", "", "", "timeout"
			}),
			state: StatePending, anomaly: AnomalyConflict, events: []string{EventCheckFailed}, version: 3, nextCheck: true,
		},
		{
			name: "same anomaly again is not raised twice",
			c: with(func(c *Checkout) {
				c.ProviderStatus = "SUCCESS"
				c.Anomaly = verifyAmount(base, obs(func(o *Observation) { o.Amount = "10.01" }))
			}),
			o:     obs(func(o *Observation) { o.Amount = "10.01" }),
			state: StatePending, anomaly: AnomalyAmountMismatch,
			events: []string{EventStatusChecked}, version: 3, nextCheck: true,
		},
		{
			name:  "terminal never changes: succeeded then FAILED",
			c:     with(func(c *Checkout) { c.State, c.ProviderStatus, c.ResolvedBy = StateSucceeded, "SUCCESS", SourceCallback }),
			o:     obs(func(o *Observation) { o.State, o.ProviderStatus = StateFailed, "FAILED" }),
			state: StateSucceeded, anomaly: AnomalyConflictingVerdict,
			events: []string{EventStatusChecked, EventAnomaly}, version: 4, resolvedBy: SourceCallback,
		},
		{
			name:  "terminal never changes: failed then SUCCESS",
			c:     with(func(c *Checkout) { c.State, c.ProviderStatus, c.ResolvedBy = StateFailed, "FAILED", SourcePoll }),
			o:     success,
			state: StateFailed, anomaly: AnomalyConflictingVerdict,
			events: []string{EventStatusChecked, EventAnomaly}, version: 4, resolvedBy: SourcePoll,
		},
		{
			name:  "terminal confirmed again changes nothing",
			c:     with(func(c *Checkout) { c.State, c.ProviderStatus, c.ResolvedBy = StateSucceeded, "SUCCESS", SourcePoll }),
			o:     obs(func(o *Observation) { o.ResolvedBy = SourceCallback }),
			state: StateSucceeded, events: []string{EventStatusChecked}, version: 3, resolvedBy: SourcePoll,
		},
		{
			name:  "terminal then PENDING stays terminal",
			c:     with(func(c *Checkout) { c.State, c.ProviderStatus, c.ResolvedBy = StateCancelled, "CANCELLED", SourcePoll }),
			o:     pending,
			state: StateCancelled, events: []string{EventStatusChecked}, version: 3, resolvedBy: SourcePoll,
		},
		{
			name:  "expired then SUCCESS settles it",
			c:     with(func(c *Checkout) { c.State = StateExpired }),
			o:     obs(func(o *Observation) { o.ResolvedBy = SourceBrowserReturn }),
			state: StateSucceeded, events: []string{EventStatusChecked, EventStateChanged},
			version: 4, resolvedBy: SourceBrowserReturn,
		},
		{
			name:  "expired then FAILED settles it",
			c:     with(func(c *Checkout) { c.State = StateExpired }),
			o:     obs(func(o *Observation) { o.State, o.ProviderStatus = StateFailed, "FAILED" }),
			state: StateFailed, events: []string{EventStatusChecked, EventStateChanged},
			version: 4, resolvedBy: SourcePoll,
		},
		{
			name:  "expired then PENDING stays expired",
			c:     with(func(c *Checkout) { c.State, c.ProviderStatus = StateExpired, "PENDING" }),
			o:     pending,
			state: StateExpired, events: []string{EventStatusChecked}, version: 3,
		},
		{
			name: "checker anomaly blocks success",
			c:    base,
			o: obs(func(o *Observation) {
				o.Anomaly = &Anomaly{Code: AnomalyModeMismatch, Detail: "sandbox payment on a live account"}
			}),
			state: StatePending, anomaly: AnomalyModeMismatch,
			events: []string{EventStatusChecked, EventAnomaly}, version: 4, nextCheck: true,
		},
		{
			name: "provider ref learned when empty",
			c:    base, o: obs(func(o *Observation) { o.State, o.ProviderStatus, o.ProviderRef = StatePending, "PENDING", "PU_1" }),
			state: StatePending, events: []string{EventStatusChecked},
			version: 4, nextCheck: true, providerRef: "PU_1",
		},
		{
			name: "provider ref learned with the verdict",
			c:    base, o: obs(func(o *Observation) { o.ProviderRef = "PU_1" }),
			state: StateSucceeded, events: []string{EventStatusChecked, EventStateChanged},
			version: 4, providerRef: "PU_1", resolvedBy: SourcePoll,
		},
		{
			name:  "different provider ref is a reference mismatch and blocks success",
			c:     with(func(c *Checkout) { c.ProviderRef = "PU_1" }),
			o:     obs(func(o *Observation) { o.ProviderRef = "PU_2" }),
			state: StatePending, anomaly: AnomalyReferenceMismatch,
			events: []string{EventStatusChecked, EventAnomaly}, version: 4, nextCheck: true, providerRef: "PU_1",
		},
		{
			name:  "same provider ref is fine",
			c:     with(func(c *Checkout) { c.ProviderRef = "PU_1" }),
			o:     obs(func(o *Observation) { o.ProviderRef = "PU_1" }),
			state: StateSucceeded, events: []string{EventStatusChecked, EventStateChanged},
			version: 4, providerRef: "PU_1", resolvedBy: SourcePoll,
		},
		{
			name:  "same PENDING again: no visible change, no version bump",
			c:     with(func(c *Checkout) { c.ProviderStatus = "PENDING" }),
			o:     pending,
			state: StatePending, events: []string{EventStatusChecked}, version: 3, nextCheck: true,
		},
		{
			name:  "new provider status is visible",
			c:     with(func(c *Checkout) { c.ProviderStatus = "CREATED" }),
			o:     pending,
			state: StatePending, events: []string{EventStatusChecked}, version: 4, nextCheck: true,
		},
		{
			name:  "failed check: logged, no version bump",
			c:     with(func(c *Checkout) { c.ProviderStatus = "PENDING" }),
			o:     Observation{Checked: true, Failure: "provider timed out", Attempts: 3, NextCheckAt: &later},
			state: StatePending, events: []string{EventCheckFailed}, version: 3, nextCheck: true,
		},
		{
			name:  "credentials anomaly cleared by a later successful check",
			c:     with(func(c *Checkout) { c.ProviderStatus, c.Anomaly = "PENDING", credentials }),
			o:     pending,
			state: StatePending, events: []string{EventStatusChecked}, version: 4, nextCheck: true,
		},
		{
			name:  "credentials anomaly kept by a failed check",
			c:     with(func(c *Checkout) { c.ProviderStatus, c.Anomaly = "PENDING", credentials }),
			o:     Observation{Checked: true, Failure: "401", Attempts: 3, NextCheckAt: &later},
			state: StatePending, anomaly: AnomalyCredentials, events: []string{EventCheckFailed}, version: 3, nextCheck: true,
		},
		{
			name:  "credentials anomaly raised by the checker",
			c:     base,
			o:     Observation{Checked: true, Failure: "401", Anomaly: credentials, Attempts: 3, NextCheckAt: &later},
			state: StatePending, anomaly: AnomalyCredentials, events: []string{EventCheckFailed, EventAnomaly}, version: 4, nextCheck: true,
		},
		{
			name: "other anomalies are not cleared by a successful check",
			c: with(func(c *Checkout) {
				c.ProviderStatus, c.Anomaly = "PENDING", &Anomaly{Code: AnomalyAmountMismatch, Detail: "x"}
			}),
			o:     pending,
			state: StatePending, anomaly: AnomalyAmountMismatch, events: []string{EventStatusChecked}, version: 3, nextCheck: true,
		},
		{
			name: "an accepted final verdict clears an earlier refusal",
			c: with(func(c *Checkout) {
				c.ProviderStatus, c.Anomaly = "SUCCESS", &Anomaly{Code: AnomalyAmountMismatch, Detail: "x"}
			}),
			o:     success,
			state: StateSucceeded, events: []string{EventStatusChecked, EventStateChanged}, version: 4, resolvedBy: SourcePoll,
		},
		{
			name:  "pure expiry stops polling",
			c:     with(func(c *Checkout) { c.ProviderStatus = "PENDING" }),
			o:     Observation{Expire: true, NextCheckAt: &later},
			state: StateExpired, events: []string{EventStateChanged}, version: 4,
		},
		{
			name:  "expiry does not touch a terminal checkout",
			c:     with(func(c *Checkout) { c.State, c.ProviderStatus, c.ResolvedBy = StateSucceeded, "SUCCESS", SourcePoll }),
			o:     Observation{Expire: true},
			state: StateSucceeded, version: 3, resolvedBy: SourcePoll,
		},
		{
			name:  "verdict in the same check as the expiry wins",
			c:     base,
			o:     obs(func(o *Observation) { o.Expire = true }),
			state: StateSucceeded, events: []string{EventStatusChecked, EventStateChanged}, version: 4, resolvedBy: SourcePoll,
		},
		{
			name: "action required keeps the redirect",
			c:    base,
			o: obs(func(o *Observation) {
				o.State, o.ProviderStatus, o.Action = StateActionRequired, "PENDING_3DS", redirect
			}),
			state: StateActionRequired, events: []string{EventStatusChecked, EventStateChanged}, version: 4, nextCheck: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.c
			d := decide(tt.c, tt.o, now)
			got := d.next
			if got.State != tt.state {
				t.Errorf("State = %q, want %q", got.State, tt.state)
			}
			gotAnomaly := ""
			if got.Anomaly != nil {
				gotAnomaly = got.Anomaly.Code
			}
			if gotAnomaly != tt.anomaly {
				t.Errorf("Anomaly = %+v, want code %q", got.Anomaly, tt.anomaly)
			}
			var types []string
			for _, e := range d.events {
				types = append(types, e.Type)
				if e.CheckoutID != tt.c.ID || !e.At.Equal(now) {
					t.Errorf("event %+v: want CheckoutID %q and At %v", e, tt.c.ID, now)
				}
				if e.Type == EventStateChanged && (e.FromState != tt.c.State || e.ToState != got.State) {
					t.Errorf("state_changed event %s→%s, want %s→%s", e.FromState, e.ToState, tt.c.State, got.State)
				}
			}
			if !slices.Equal(types, tt.events) {
				t.Errorf("events = %v, want %v", types, tt.events)
			}
			if got.Version != tt.version {
				t.Errorf("Version = %d, want %d", got.Version, tt.version)
			}
			if wantUpdated := tt.c.UpdatedAt; got.Version != tt.c.Version {
				if !got.UpdatedAt.Equal(now) {
					t.Errorf("UpdatedAt = %v after a visible change, want %v", got.UpdatedAt, now)
				}
			} else if !got.UpdatedAt.Equal(wantUpdated) {
				t.Errorf("UpdatedAt = %v without a visible change, want %v", got.UpdatedAt, wantUpdated)
			}
			switch {
			case tt.nextCheck && (got.NextCheckAt == nil || !got.NextCheckAt.Equal(*tt.o.NextCheckAt)):
				t.Errorf("NextCheckAt = %v, want %v", got.NextCheckAt, tt.o.NextCheckAt)
			case !tt.nextCheck && got.NextCheckAt != nil:
				t.Errorf("NextCheckAt = %v, want nil", *got.NextCheckAt)
			}
			if got.State.Terminal() && got.NextCheckAt != nil {
				t.Errorf("terminal checkout still scheduled at %v", *got.NextCheckAt)
			}
			if got.ProviderRef != tt.providerRef {
				t.Errorf("ProviderRef = %q, want %q", got.ProviderRef, tt.providerRef)
			}
			if got.ResolvedBy != tt.resolvedBy {
				t.Errorf("ResolvedBy = %q, want %q", got.ResolvedBy, tt.resolvedBy)
			}
			if tt.o.Checked {
				if got.LastCheckedAt == nil || !got.LastCheckedAt.Equal(now) {
					t.Errorf("LastCheckedAt = %v, want %v", got.LastCheckedAt, now)
				}
			} else if got.LastCheckedAt != nil {
				t.Errorf("LastCheckedAt = %v without a check, want nil", *got.LastCheckedAt)
			}
			if got.Attempts != tt.o.Attempts {
				t.Errorf("Attempts = %d, want %d", got.Attempts, tt.o.Attempts)
			}
			wantStatus := tt.o.ProviderStatus
			if tt.c.State.Terminal() || wantStatus == "" {
				wantStatus = tt.c.ProviderStatus // a terminal checkout keeps the status that settled it
			}
			if got.ProviderStatus != wantStatus {
				t.Errorf("ProviderStatus = %q, want %q", got.ProviderStatus, wantStatus)
			}
			if got.State == StateActionRequired {
				if got.Action == nil || string(got.Action.Instructions) != string(tt.o.Action.Instructions) {
					t.Errorf("Action = %+v, want %s", got.Action, tt.o.Action.Instructions)
				}
			} else if got.Action != nil {
				t.Errorf("Action = %+v outside action_required", got.Action)
			}
			// Registration fields are never the state machine's to change.
			if got.Amount != before.Amount || got.Currency != before.Currency || got.Reference != before.Reference ||
				got.ID != before.ID || got.MerchantID != before.MerchantID || !got.CreatedAt.Equal(before.CreatedAt) {
				t.Errorf("registration changed: %+v", got)
			}
		})
	}
}

func TestDecideActionClearedWhenLeavingActionRequired(t *testing.T) {
	now := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	c := Checkout{ID: "chk_1", Amount: "10", Currency: "XAF", State: StateActionRequired, ProviderStatus: "PENDING_3DS",
		Action: &Action{Instructions: json.RawMessage(`{"url":"https://3ds.example"}`)}, Version: 2}
	// A later check still in 3DS without new instructions keeps the old ones.
	d := decide(c, Observation{Checked: true, State: StateActionRequired, ProviderStatus: "PENDING_3DS"}, now)
	if d.next.Action == nil || d.next.Version != 2 {
		t.Fatalf("still in 3DS: Action = %+v, Version = %d; want kept, 2", d.next.Action, d.next.Version)
	}
	d = decide(c, Observation{Checked: true, State: StateFailed, ProviderStatus: "FAILED", ResolvedBy: SourcePoll}, now)
	if d.next.State != StateFailed || d.next.Action != nil || d.next.Version != 3 {
		t.Fatalf("after FAILED: State %q, Action %+v, Version %d; want failed, nil, 3", d.next.State, d.next.Action, d.next.Version)
	}
}

func TestDecideIsPure(t *testing.T) {
	now := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	anomaly := &Anomaly{Code: AnomalyCredentials, Detail: "401"}
	c := Checkout{ID: "chk_1", Amount: "10", Currency: "XAF", State: StatePending, Anomaly: anomaly, Version: 1}
	decide(c, Observation{Checked: true, State: StateSucceeded, ProviderStatus: "SUCCESS", Amount: "10", Currency: "XAF"}, now)
	if c.State != StatePending || c.Anomaly != anomaly || *anomaly != (Anomaly{Code: AnomalyCredentials, Detail: "401"}) || c.Version != 1 {
		t.Fatalf("decide changed its input: %+v", c)
	}
}
