package poller

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/store"
)

// observation copies every field of the Finding into the Observation
// field of the same name (the provider's types into the store's of the
// same shape), so a field added to one and not the other shows.
func TestObservationCopiesTheFinding(t *testing.T) {
	t.Parallel()
	f := plugin.Finding{State: plugin.StateSucceeded, ProviderStatus: "SUCCESS", ProviderRef: "pu-1", Amount: "10.00",
		Currency: "XAF", Action: &plugin.Action{Instructions: json.RawMessage(`{"url":"x"}`)},
		Anomaly: &plugin.Anomaly{Code: plugin.AnomalyModeMismatch, Detail: "d"},
		Failure: "f", VerifiedByReference: true}
	next := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := store.Checkout{ID: "c1", Version: 4, WakeSeq: 5, ClaimSeq: 6}
	obs := Config{}.observation(c, f, plan{next: &next, attempts: 2})

	fv, ov := reflect.ValueOf(f), reflect.ValueOf(obs)
	for i := range fv.NumField() {
		name := fv.Type().Field(i).Name
		got := ov.FieldByName(name)
		if !got.IsValid() {
			t.Fatalf("store.Observation has no field %s", name)
		}
		if want := fv.Field(i); fmt.Sprint(got.Interface()) != fmt.Sprint(want.Interface()) || want.IsZero() {
			t.Errorf("%s: observation has %v, finding %v (and the test must set it)", name, got, want)
		}
	}
	if obs.CheckoutID != c.ID || obs.Version != c.Version || obs.WakeSeq != c.WakeSeq || obs.ClaimSeq != c.ClaimSeq {
		t.Errorf("claim %+v, want that of %+v", obs, c)
	}
	if !obs.Checked || obs.Attempts != 2 || obs.NextCheckAt != &next || obs.Expire || obs.ResolvedBy != store.SourcePoll {
		t.Errorf("checked %v attempts %d next %v expire %v resolved_by %q", obs.Checked, obs.Attempts, obs.NextCheckAt, obs.Expire, obs.ResolvedBy)
	}
}

// A checkout given up as never found gets anomaly not_found, unless the
// finding already carries an anomaly.
func TestObservationRaisesNotFound(t *testing.T) {
	t.Parallel()
	cfg := Config{NotFoundWindow: 10 * time.Minute}
	obs := cfg.observation(store.Checkout{}, plugin.Finding{Failure: "Azotte does not know the tracking number"}, plan{notFound: true})
	if obs.Anomaly == nil || obs.Anomaly.Code != store.AnomalyNotFound || obs.NextCheckAt != nil {
		t.Fatalf("anomaly %+v next %v, want not_found and no next check", obs.Anomaly, obs.NextCheckAt)
	}
	conflict := &plugin.Anomaly{Code: plugin.AnomalyConflict, Detail: "other tenant"}
	if obs := cfg.observation(store.Checkout{}, plugin.Finding{Anomaly: conflict}, plan{notFound: true}); obs.Anomaly == nil || *obs.Anomaly != (store.Anomaly{Code: conflict.Code, Detail: conflict.Detail}) {
		t.Fatalf("anomaly %+v, want the finding's own", obs.Anomaly)
	}
}
