package store

import (
	"encoding/json"
	"time"
)

// State is a checkout's verified state.
type State string

// The states of docs/architecture.md (States). Succeeded, failed and cancelled are terminal and
// never change; expired means paysync stopped polling and may still settle.
const (
	StatePending        State = "pending"
	StateActionRequired State = "action_required"
	StateSucceeded      State = "succeeded"
	StateFailed         State = "failed"
	StateCancelled      State = "cancelled"
	StateExpired        State = "expired"
)

// Terminal reports whether s is a final provider verdict.
func (s State) Terminal() bool {
	return s == StateSucceeded || s == StateFailed || s == StateCancelled
}

// Valid reports whether s is one of the known states.
func (s State) Valid() bool {
	switch s {
	case StatePending, StateActionRequired, StateSucceeded, StateFailed, StateCancelled, StateExpired:
		return true
	}
	return false
}

// Providers paysync knows.
const (
	ProviderPayUnit = "payunit"
	ProviderAzotte  = "azotte"
)

// What first revealed a checkout's terminal state (resolved_by), and what
// made a checkout due (wake reasons).
const (
	SourceCallback      = "callback"
	SourcePoll          = "poll"
	SourceBrowserReturn = "browser_return"
	SourceRefresh       = "refresh"
)

// Merchant is a shop using paysync. Secrets are not part of it; see
// MerchantSecrets.
type Merchant struct {
	ID          string
	Name        string
	HookToken   string
	WebhookURL  string
	ReturnHosts []string
	PayUnit     *PayUnitAccount
	Azotte      *AzotteAccount
	CreatedAt   time.Time
	// WebhookDisabledAt is when the webhook endpoint answered 410 Gone;
	// nil while enabled.
	WebhookDisabledAt *time.Time
}

// PayUnitAccount is a merchant's PayUnit configuration. The credential
// fields are filled only by MerchantSecrets.
type PayUnitAccount struct {
	BaseURL     string
	Mode        string
	APIUser     string
	APIPassword string
	APIKey      string
}

// AzotteAccount is a merchant's Azotte configuration. The credential fields
// are filled only by MerchantSecrets.
type AzotteAccount struct {
	BaseURL  string
	TenantID string
	APIKey   string
}

// Action is what the buyer must do while a checkout is action_required: the
// provider's redirect instructions, kept verbatim.
type Action struct {
	Instructions json.RawMessage `json:"instructions"`
}

// Anomaly is a verdict paysync refused, or a condition that needs a person.
type Anomaly struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Anomaly codes.
const (
	AnomalyAmountMismatch     = "amount_mismatch"
	AnomalyCurrencyMismatch   = "currency_mismatch"
	AnomalyAmountUnverified   = "amount_unverified"
	AnomalyReferenceMismatch  = "reference_mismatch"
	AnomalyModeMismatch       = "mode_mismatch"
	AnomalyConflictingVerdict = "conflicting_verdict"
	AnomalyCredentials        = "credentials_rejected"
	// AnomalyNotFound: the provider kept answering that it doesn't know the
	// checkout (Azotte's 404 ORDERED_ITEM_NOT_FOUND) past the propagation
	// window; polling stopped, a refresh or browser return still checks.
	AnomalyNotFound = "not_found"
	// AnomalyConflict: the provider reported a state conflict (Azotte's 409
	// ProblemDetails, e.g. the tracking number belongs to another tenant);
	// polling stopped.
	AnomalyConflict = "conflict"
	// AnomalyStartRefused: the provider refused to start the payment
	// (RecordStart); the checkout failed, its detail is the provider's
	// message.
	AnomalyStartRefused = "start_refused"
)

// Checkout is a payment paysync watches.
type Checkout struct {
	ID                 string
	MerchantID         string
	Provider           string
	Reference          string
	ProviderRef        string
	Amount             string
	Currency           string
	SuccessURL         string
	CancelURL          string
	Token              string
	IdempotencyKey     string
	State              State
	ProviderStatus     string
	Action             *Action
	Anomaly            *Anomaly
	ResolvedBy         string
	CallbackReceivedAt *time.Time
	LastCheckedAt      *time.Time
	NextCheckAt        *time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
	Version            int64
	// SettledAt is when the checkout reached its terminal state (decide
	// sets it); the retention of its history counts from there.
	SettledAt *time.Time
	// HistoryPurgedAt is when the retention sweep deleted the checkout's
	// events, raw callbacks and delivery attempts; nil while they are kept.
	HistoryPurgedAt *time.Time
	// StartRequested says the checkout was registered with start: paysync
	// starts its payment at the provider (RecordStart).
	StartRequested bool
	// PayURL is the provider's page where the buyer pays, learned when
	// paysync started the payment; "" until then and for checkouts only
	// registered.
	PayURL string

	// Schedule bookkeeping, for the poller.
	Attempts   int    // checks since the last wake
	WakeReason string // what last made the checkout due at once, if anything
	WakeSeq    int64  // bumped by every wake
	ClaimSeq   int64  // bumped by every claim: identifies the poller's lease

	// Rev is the row's revision: every committed write of the checkout's
	// row bumps it, whether or not Version changes (a wake, a callback's
	// callback_received_at, a claim's lease, the retention sweep's
	// history_purged_at rewrite shown fields in place). A cache of what
	// the API shows keys on it (Reader.CheckoutRev).
	Rev int64

	// DueAt is set by ClaimDue only: when the claimed check was due.
	DueAt time.Time
}

// Who an event comes from (Event.Source): one vocabulary, as the events
// API shows it.
const (
	ByCallback = "callback" // the provider's callback (a hint)
	ByPoller   = "poller"   // a status check of the provider's API
	ByMerchant = "merchant" // the merchant's API call (registration, refresh)
	ByBrowser  = "browser"  // the buyer's browser coming back
	ByPaysync  = "paysync"  // paysync's own verdict (transitions, anomalies)
)

// Event is one entry of a checkout's append-only log.
type Event struct {
	ID             int64
	CheckoutID     string
	At             time.Time
	Source         string // By…: callback, poller, merchant, browser, paysync
	Type           string
	ProviderStatus string
	FromState      State
	ToState        State
	Detail         string
	// Count is how many identical consecutive observations this event
	// stands for (status checks fold, see DB.Apply); 1 for most.
	Count int
	// LastAt is when the last of them was seen; nil when Count is 1.
	LastAt *time.Time
}

// Event types.
const (
	EventRegistered       = "registered"
	EventCallbackReceived = "callback_received"
	EventStatusChecked    = "status_checked"
	EventCheckFailed      = "check_failed"
	EventStateChanged     = "state_changed"
	EventAnomaly          = "anomaly_raised"
	EventRefreshRequested = "refresh_requested"
	EventBrowserReturned  = "browser_returned"
	// EventPaymentStarted: paysync asked the provider to start the
	// payment; the detail says how that went (RecordStart).
	EventPaymentStarted = "payment_started"
)
