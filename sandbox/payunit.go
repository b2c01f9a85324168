// Package sandbox holds fake payment providers that tests and "paysync demo"
// users can drive: each fake serves a provider's API in its documented shape
// and posts the callbacks the provider would post.
package sandbox

import (
	"cmp"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"regexp"
	"sync"
	"time"
)

// Payment statuses reported by the PayUnit status API.
const (
	StatusPending   = "PENDING"
	StatusSuccess   = "SUCCESS"
	StatusFailed    = "FAILED"
	StatusCancelled = "CANCELLED"
)

// Errors returned by PayUnit methods; they are wrapped, so test with errors.Is.
var (
	ErrNotFound        = errors.New("sandbox: payment not found")
	ErrInvalidStatus   = errors.New("sandbox: invalid status")
	ErrInvalidAmount   = errors.New("sandbox: invalid amount")
	ErrUnknownScenario = errors.New("sandbox: unknown scenario")
	ErrCallbackStatus  = errors.New("sandbox: callback answered with a non-2xx status")
)

// PayUnitConfig configures a fake PayUnit gateway. Zero fields take the
// defaults given on each field.
type PayUnitConfig struct {
	// APIKey is the x-api-key header value accepted; default "test_sandbox_key".
	APIKey string
	// APIUser and APIPassword are the HTTP Basic credentials accepted;
	// default "sandbox" and "sandbox".
	APIUser     string
	APIPassword string
	// Mode is the mode header value accepted ("test" or "live"); default
	// "test". With "live" the status API reports checkout_mode "LIVE".
	Mode string
	// Now is the clock used for timestamps; default time.Now.
	Now func() time.Time
	// Client posts callbacks; default a client with a 5s timeout.
	Client *http.Client
	// PageURL is the scheme and host of the hosted pay pages named in
	// initialize answers (data.transaction_url); default the host the
	// initialize request came to.
	PageURL string
}

// PayUnit is a fake PayUnit gateway: an http.Handler serving the
// initialize and checkout status endpoints in the shape PayUnit documents,
// the hosted page where a buyer pays a started payment, plus /sandbox/
// routes to create and resolve payments. It is safe for concurrent use.
type PayUnit struct {
	cfg PayUnitConfig
	mux *http.ServeMux

	mu         sync.Mutex
	payments   map[string]*payment // by checkout id
	byTxn      map[string]string   // merchant transaction id -> checkout id
	nextID     int
	faults     Faults
	injected   map[string]int // faults served, by kind
	rng        *mrand.Rand
	total      int
	inits      []InitializeRequest // initialize requests that started or repeated a payment
	initFaults Faults              // faults of the initialize endpoint
	initCalls  int                 // requests to the initialize endpoint
}

// payment is PayUnit's record of one checkout.
type payment struct {
	Payment
	checkoutID string
	id, txnID  int
	status     string
	created    time.Time
	updated    time.Time
	checks     int
}

// NewPayUnit returns a fake gateway with no payments and no faults.
func NewPayUnit(cfg PayUnitConfig) *PayUnit {
	cfg.APIKey = cmp.Or(cfg.APIKey, "test_sandbox_key")
	cfg.APIUser = cmp.Or(cfg.APIUser, "sandbox")
	cfg.APIPassword = cmp.Or(cfg.APIPassword, "sandbox")
	cfg.Mode = cmp.Or(cfg.Mode, "test")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 5 * time.Second}
	}
	p := &PayUnit{
		cfg:      cfg,
		payments: make(map[string]*payment),
		byTxn:    make(map[string]string),
		nextID:   168,
		rng:      mrand.New(mrand.NewPCG(1, 2)),
	}
	p.mux = http.NewServeMux()
	p.mux.HandleFunc("GET /api/gateway/checkout/status/{id}", p.handleStatus)
	p.mux.HandleFunc("POST /sandbox/payments", p.handleCreate)
	p.mux.HandleFunc("POST /sandbox/payments/{checkout_id}/resolve", p.handleResolve)
	p.mux.HandleFunc("POST /api/gateway/initialize", p.handleInitialize)
	p.mux.HandleFunc("GET /sandbox/payments/{checkout_id}/pay", p.handlePayPage)
	p.mux.HandleFunc("POST /sandbox/payments/{checkout_id}/pay", p.handlePay)
	return p
}

// ServeHTTP serves the initialize and status APIs, the hosted pay pages
// and the /sandbox/ driving routes.
func (p *PayUnit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mux.ServeHTTP(w, r)
}

// Create registers a pending payment and returns its checkout id
// "PU_payment_<uuid-like>". An empty Scenario means ScenarioPays. A later
// payment with the same TransactionID shadows the earlier one for lookups by
// transaction id. Create panics if Amount is not a non-negative decimal
// such as "10" or "10.50"; check untrusted input with ValidAmount first.
func (p *PayUnit) Create(pay Payment) string {
	if !ValidAmount(pay.Amount) {
		panic(fmt.Sprintf("sandbox: PayUnit.Create: invalid amount %q", pay.Amount))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.create(pay)
}

// create is Create with p.mu held.
func (p *PayUnit) create(pay Payment) string {
	pay.Scenario = cmp.Or(pay.Scenario, ScenarioPays)
	now := p.cfg.Now()
	checkoutID := "PU_payment_" + newUUID()
	p.nextID++
	p.payments[checkoutID] = &payment{
		Payment:    pay,
		checkoutID: checkoutID,
		id:         p.nextID,
		txnID:      p.nextID - 83,
		status:     StatusPending,
		created:    now,
		updated:    now,
	}
	if pay.TransactionID != "" {
		p.byTxn[pay.TransactionID] = checkoutID
	}
	return checkoutID
}

// amountRE matches a JSON number that is a non-negative decimal.
var amountRE = regexp.MustCompile(`^(0|[1-9][0-9]*)(\.[0-9]+)?$`)

// ValidAmount reports whether s is a non-negative decimal in major units
// ("10", "10.50") that PayUnit can render as a JSON number.
func ValidAmount(s string) bool {
	return amountRE.MatchString(s)
}

// lookup returns the payment whose checkout id or merchant transaction id is
// id, or nil. The caller holds p.mu.
func (p *PayUnit) lookup(id string) *payment {
	if pay, ok := p.payments[id]; ok {
		return pay
	}
	if checkoutID, ok := p.byTxn[id]; ok {
		return p.payments[checkoutID]
	}
	return nil
}

// Checks returns how many status requests named this payment, by checkout
// id or transaction id, whatever their outcome (faults and auth failures
// included). It returns 0 for an unknown id.
func (p *PayUnit) Checks(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pay := p.lookup(id); pay != nil {
		return pay.checks
	}
	return 0
}

// TotalChecks returns how many requests reached the status endpoint,
// unknown ids, faults and auth failures included.
func (p *PayUnit) TotalChecks() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

// newUUID returns a random version-4 UUID string.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
