package sandbox

import (
	"cmp"
	"net/http"
	"sync"
	"time"
)

// Scenarios of the fake Azotte (AzotteCheckout.Scenario).
const (
	// AzotteDone: PROCESSING for ProcessingChecks answers, then DONE.
	AzotteDone = "done"
	// Azotte3DS: PROCESSING for ProcessingChecks answers, then
	// 3DS_REQUIRED with redirectUrl = this server's /challenge/{trk}; after
	// the buyer approves DONE, after they decline FAILED.
	Azotte3DS = "3ds"
	// Azotte3DSHTML: as Azotte3DS, but showHtmlContent is true and
	// htmlContent is an auto-submitting form POSTing to the challenge page.
	Azotte3DSHTML = "3ds_html"
	// AzotteFailed: PROCESSING for ProcessingChecks answers, then FAILED.
	AzotteFailed = "failed"
	// AzotteNotFoundThenFound: 404 ORDERED_ITEM_NOT_FOUND for
	// ProcessingChecks answers, then DONE.
	AzotteNotFoundThenFound = "not_found_then_found"
	// AzotteConflict: 409 ProblemDetails on every status call.
	AzotteConflict = "conflict"
	// AzotteNever: PROCESSING forever.
	AzotteNever = "never"
)

// Decisions a buyer takes on the challenge page (Azotte.Decision).
const (
	DecisionApprove = "approve"
	DecisionDecline = "decline"
)

// AzotteOptions configures a fake Azotte. Zero fields take the defaults
// given on each field.
type AzotteOptions struct {
	// TenantID is the x-tn header accepted; default "tenant_sandbox".
	TenantID string
	// APIKey is the x-api-key header accepted; default "sk_sandbox".
	APIKey string
	// Clock dates the checkouts; default the wall clock.
	Clock *Clock
}

// AzotteCheckout is one C2A checkout the fake knows.
type AzotteCheckout struct {
	// TrackingNumber is generated ("trk_…") when empty.
	TrackingNumber string
	// Scenario is one of the Azotte… constants; default AzotteDone.
	Scenario string
	// ReturnURL is where the challenge page sends the browser back to.
	ReturnURL string
	// PostBack makes the challenge send the browser back with a POST (an
	// auto-submitted form) instead of a 303 redirect.
	PostBack bool
	// ProcessingChecks is how many status answers say PROCESSING (or 404
	// for AzotteNotFoundThenFound) first.
	ProcessingChecks int
	// RetryAfter is the Retry-After header of non-terminal answers, in
	// seconds; 0 means 2 (the seed's).
	RetryAfter int
	// FollowUpSeconds is followUpInstructions.retryAfterSeconds of
	// non-terminal answers; 0 means 3 (the seed's).
	FollowUpSeconds int
}

// Azotte is a fake Azotte C2A API: an http.Handler serving the checkout
// status endpoint in the shape of Azotte's documentation, a 3-D Secure
// challenge page, and /sandbox/ routes to create checkouts. It is safe for
// concurrent use.
type Azotte struct {
	opts AzotteOptions
	mux  *http.ServeMux

	mu        sync.Mutex
	checkouts map[string]*azotteCheckout
}

// azotteCheckout is the fake's record of one checkout.
type azotteCheckout struct {
	AzotteCheckout
	created  time.Time
	checks   int
	decision string
}

// NewAzotte returns a fake Azotte with no checkouts.
func NewAzotte(opts AzotteOptions) *Azotte {
	opts.TenantID = cmp.Or(opts.TenantID, "tenant_sandbox")
	opts.APIKey = cmp.Or(opts.APIKey, "sk_sandbox")
	az := &Azotte{opts: opts, checkouts: make(map[string]*azotteCheckout)}
	az.mux = http.NewServeMux()
	for _, root := range []string{"/api/v1", "/api"} {
		az.mux.HandleFunc("GET "+root+"/c2a/offer/checkout/{trackingId}/status", az.handleStatus)
	}
	az.mux.HandleFunc("GET /challenge/{trackingNumber}", az.handleChallengePage)
	az.mux.HandleFunc("POST /challenge/{trackingNumber}", az.handleChallengePost)
	az.mux.HandleFunc("POST /sandbox/checkouts", az.handleCreate)
	az.mux.HandleFunc("POST /sandbox/checkouts/{trackingNumber}/return_url", az.handleSetReturnURL)
	return az
}

// ServeHTTP serves the status API, the challenge page and /sandbox/ routes.
func (az *Azotte) ServeHTTP(w http.ResponseWriter, r *http.Request) { az.mux.ServeHTTP(w, r) }

// ValidAzotteScenario reports whether s names a scenario ("" included,
// meaning AzotteDone).
func ValidAzotteScenario(s string) bool {
	switch s {
	case "", AzotteDone, Azotte3DS, Azotte3DSHTML, AzotteFailed, AzotteNotFoundThenFound, AzotteConflict, AzotteNever:
		return true
	}
	return false
}

// Create registers a checkout and returns its tracking number. A checkout
// with the same tracking number is replaced. Create panics on an unknown
// scenario; check untrusted input with ValidAzotteScenario first.
func (az *Azotte) Create(c AzotteCheckout) string {
	if !ValidAzotteScenario(c.Scenario) {
		panic("sandbox: Azotte.Create: unknown scenario " + c.Scenario)
	}
	c.Scenario = cmp.Or(c.Scenario, AzotteDone)
	if c.TrackingNumber == "" {
		c.TrackingNumber = "trk_" + newUUID()
	}
	az.mu.Lock()
	defer az.mu.Unlock()
	az.checkouts[c.TrackingNumber] = &azotteCheckout{AzotteCheckout: c, created: az.now()}
	return c.TrackingNumber
}

// SetReturnURL sets where the challenge sends the browser back to. It
// reports whether the tracking number is known.
func (az *Azotte) SetReturnURL(tracking, url string) bool {
	az.mu.Lock()
	defer az.mu.Unlock()
	c, ok := az.checkouts[tracking]
	if ok {
		c.ReturnURL = url
	}
	return ok
}

// Checks returns how many status calls named the tracking number (auth
// failures included), 0 for an unknown one.
func (az *Azotte) Checks(tracking string) int {
	az.mu.Lock()
	defer az.mu.Unlock()
	if c, ok := az.checkouts[tracking]; ok {
		return c.checks
	}
	return 0
}

// Decision returns the buyer's decision on the challenge, DecisionApprove
// or DecisionDecline, or "" while none was taken.
func (az *Azotte) Decision(tracking string) string {
	az.mu.Lock()
	defer az.mu.Unlock()
	if c, ok := az.checkouts[tracking]; ok {
		return c.decision
	}
	return ""
}

// now reads the clock. The caller may hold az.mu.
func (az *Azotte) now() time.Time {
	if az.opts.Clock != nil {
		return az.opts.Clock.Now()
	}
	return time.Now()
}
