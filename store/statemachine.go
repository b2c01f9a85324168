package store

import (
	"bytes"
	"fmt"
	"time"
)

// Observation is the outcome of one provider status check (or of the
// poller giving up), handed to Apply.
type Observation struct {
	CheckoutID string
	Version    int64 // as claimed; Apply fails with ErrVersionConflict if it moved
	WakeSeq    int64 // as claimed; a wake since then makes the checkout due again at once
	ClaimSeq   int64 // as claimed; a later claim (lease expired) makes Apply fail with ErrVersionConflict

	Checked        bool   // the provider was asked (false for a pure expiry)
	State          State  // the provider's verdict; "" when the check failed or the status is unknown
	ProviderStatus string // the provider's raw status text
	ProviderRef    string // the provider's checkout id as reported
	Amount         string // the amount the provider reported, major units
	Currency       string // the currency the provider reported
	Action         *Action
	Anomaly        *Anomaly // raised by the checker (credentials, mode …); blocks the verdict
	Failure        string   // why the check failed, if it did; safe to show
	ResolvedBy     string   // what revealed the verdict, recorded if this settles the checkout
	// VerifiedByReference says the provider reports no amount at all and
	// the checker identified the payment by the registered provider_ref
	// alone (Azotte: the status API is addressed by trackingNumber, scoped
	// by tenant). A success without amount and currency is then accepted
	// when the checkout has a provider_ref and the provider's reported
	// reference, if any, equals it. Only checkers of such providers set it.
	VerifiedByReference bool

	Attempts    int        // checks since the last wake, including this one
	NextCheckAt *time.Time // when to check again; nil stops polling
	Expire      bool       // stop polling: a non-terminal checkout becomes expired

	// Claimed is the checkout as claimed, when the caller has the claimed
	// row (the poller): Apply then needs no read before its transaction
	// to know whether ProviderRef would be learned, and which identity to
	// lock first (see ClaimedAs). Zero: Apply reads the row.
	Claimed ClaimedAs
}

// ClaimedAs is what Apply takes from the claimed row instead of reading
// it again: the merchant and provider, which never change, and the
// provider_ref, which, once set, never changes and is set only with a new
// version (so a claim whose version still holds has the ref it had).
type ClaimedAs struct {
	MerchantID  string // "" when unknown
	Provider    string
	ProviderRef string
}

// decision is what the state machine makes of an observation.
type decision struct {
	next   Checkout
	events []Event
}

// decide applies the rules of docs/architecture.md (States) to c: terminal states never
// change (a conflicting verdict becomes an anomaly), a success is accepted
// only when amount, currency and identity match the registration, and any
// anomaly the checker raised blocks the verdict. It is pure.
func decide(c Checkout, o Observation, now time.Time) decision {
	next := c
	var events []Event
	ev := func(e Event) {
		e.CheckoutID, e.At = c.ID, now
		events = append(events, e)
	}
	if o.Checked {
		if o.Failure != "" {
			ev(Event{Source: ByPoller, Type: EventCheckFailed, ProviderStatus: o.ProviderStatus, Detail: o.Failure})
		} else {
			ev(Event{Source: ByPoller, Type: EventStatusChecked, ProviderStatus: o.ProviderStatus})
		}
		if o.ProviderStatus != "" && !c.State.Terminal() {
			next.ProviderStatus = o.ProviderStatus // a terminal checkout keeps the status that settled it
		}
	}
	anomaly := o.Anomaly
	if anomaly == nil && o.ProviderRef != "" && c.ProviderRef != "" && o.ProviderRef != c.ProviderRef {
		anomaly = &Anomaly{Code: AnomalyReferenceMismatch,
			Detail: fmt.Sprintf("provider reported checkout %q, registered %q", o.ProviderRef, c.ProviderRef)}
	}
	if anomaly == nil && o.State == StateSucceeded {
		anomaly = verifyAmount(c, o)
	}
	if anomaly == nil && o.ProviderRef != "" && c.ProviderRef == "" {
		next.ProviderRef = o.ProviderRef
	}
	verdict := o.State
	if anomaly != nil {
		verdict = ""
	}
	switch {
	case verdict == "":
	case c.State.Terminal():
		if verdict.Terminal() && verdict != c.State && anomaly == nil {
			anomaly = &Anomaly{Code: AnomalyConflictingVerdict,
				Detail: fmt.Sprintf("provider now says %s after %s", o.ProviderStatus, c.State)}
		}
	case c.State == StateExpired && !verdict.Terminal():
		// polling gave up; only a final verdict settles it now
	case verdict != c.State:
		next.State = verdict
		if verdict.Terminal() {
			next.ResolvedBy = o.ResolvedBy
			next.SettledAt = &now
			next.Anomaly = nil // an earlier refusal is history (the events keep it)
		}
	}
	if next.State == StateActionRequired {
		if o.Action != nil {
			next.Action = o.Action
		}
	} else {
		next.Action = nil
	}
	if o.Expire && !next.State.Terminal() {
		next.State = StateExpired
	}
	switch {
	case anomaly != nil:
		if c.Anomaly == nil || *c.Anomaly != *anomaly {
			next.Anomaly = anomaly
			ev(Event{Source: ByPaysync, Type: EventAnomaly, ProviderStatus: o.ProviderStatus, Detail: anomaly.Code + ": " + anomaly.Detail})
		}
	case c.Anomaly != nil && answeredAgain(c.Anomaly.Code) && o.Checked && o.Failure == "":
		next.Anomaly = nil // the provider answers again (credentials work, the checkout is found …)
	}
	if next.State != c.State {
		ev(Event{Source: ByPaysync, Type: EventStateChanged, ProviderStatus: o.ProviderStatus, FromState: c.State, ToState: next.State})
	}
	if changed(c, next) {
		next.Version = c.Version + 1
		next.UpdatedAt = now
	}
	if o.Checked {
		next.LastCheckedAt = &now
	}
	next.Attempts = o.Attempts
	next.NextCheckAt = o.NextCheckAt
	if next.State.Terminal() || next.State == StateExpired {
		next.NextCheckAt = nil
	}
	return decision{next: next, events: events}
}

// answeredAgain reports whether an anomaly of this code only said the
// provider could not answer, so that a later clean answer clears it.
func answeredAgain(code string) bool {
	return code == AnomalyCredentials || code == AnomalyNotFound || code == AnomalyConflict
}

// verifyAmount returns an anomaly unless the provider's amount and currency
// equal the registration exactly, or the provider reports no amount and
// the checker verified identity by reference (see VerifiedByReference).
func verifyAmount(c Checkout, o Observation) *Anomaly {
	if o.VerifiedByReference && o.Amount == "" && o.Currency == "" {
		if c.ProviderRef == "" || (o.ProviderRef != "" && o.ProviderRef != c.ProviderRef) {
			return &Anomaly{Code: AnomalyAmountUnverified,
				Detail: "provider reports no amount, and the checkout's reference could not be verified"}
		}
		return nil
	}
	if o.Amount == "" || o.Currency == "" {
		return &Anomaly{Code: AnomalyAmountUnverified, Detail: "provider reported success without amount and currency"}
	}
	amount, err := CanonicalAmount(o.Amount)
	if err != nil || amount != c.Amount {
		return &Anomaly{Code: AnomalyAmountMismatch,
			Detail: fmt.Sprintf("provider reported %s %s, registered %s %s", o.Amount, o.Currency, c.Amount, c.Currency)}
	}
	if !equalCode(o.Currency, c.Currency) {
		return &Anomaly{Code: AnomalyCurrencyMismatch,
			Detail: fmt.Sprintf("provider reported %s %s, registered %s %s", o.Amount, o.Currency, c.Amount, c.Currency)}
	}
	return nil
}

// equalCode compares two ASCII codes (currencies) ignoring the case of
// ASCII letters only: Unicode case folding would equate look-alikes
// ("K" with the Kelvin sign, "s" with "ſ").
func equalCode(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if x >= 0x80 || y >= 0x80 {
			return false
		}
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// changed reports whether a merchant-visible field differs.
func changed(a, b Checkout) bool {
	return a.State != b.State || a.ProviderStatus != b.ProviderStatus || a.ProviderRef != b.ProviderRef || a.PayURL != b.PayURL ||
		a.ResolvedBy != b.ResolvedBy || !sameAnomaly(a.Anomaly, b.Anomaly) || !sameAction(a.Action, b.Action)
}

func sameAnomaly(a, b *Anomaly) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func sameAction(a, b *Action) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && bytes.Equal(a.Instructions, b.Instructions))
}
