package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/web/console"
)

// The demo console's sandbox payments (its "start a sandbox payment" form).
var demoScenarios = []string{"payunit_pays", "payunit_pays_lost", "payunit_fails", "payunit_cancelled", "azotte_3ds"}

// demoPayments starts the console's sandbox payments the way a shop
// would: a payment at the sandbox provider, then its registration through
// paysync's own API with the demo merchant's key; a PayUnit buyer pays a
// moment later. It is bound to the running service by bind.
type demoPayments struct {
	ctx     context.Context // the demo's: the delayed payments stop with it
	payunit *sandbox.PayUnit
	azotte  *sandbox.Azotte
	client  *http.Client
	wg      sync.WaitGroup // the delayed payments in flight
	delay   time.Duration  // from registration to the buyer paying

	mu        sync.Mutex
	publicURL string
	apiKey    string
	notify    string
}

func (d *demoPayments) bind(publicURL, apiKey, notify string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.publicURL, d.apiKey, d.notify = publicURL, apiKey, notify
}

// console returns the console's demo settings with a fresh one-time
// sign-in token.
func (d *demoPayments) console() *console.Demo {
	b := make([]byte, 24)
	rand.Read(b)
	return &console.Demo{SignInToken: hex.EncodeToString(b), Scenarios: demoScenarios, Start: d.start}
}

// start starts a sandbox payment of scenario and returns its checkout id.
func (d *demoPayments) start(ctx context.Context, scenario string) (string, error) {
	d.mu.Lock()
	publicURL, key, notify := d.publicURL, d.apiKey, d.notify
	d.mu.Unlock()
	if key == "" {
		return "", fmt.Errorf("the demo merchant is not ready")
	}
	ref := "order-" + randomHex(4)
	back := publicURL + "/console/checkouts?q=" + ref
	if scenario == "azotte_3ds" {
		tn := d.azotte.Create(sandbox.AzotteCheckout{Scenario: sandbox.Azotte3DS, ProcessingChecks: 1})
		c, err := d.register(ctx, publicURL, key, map[string]any{"provider": "azotte", "provider_ref": tn, "reference": ref,
			"amount": "2500", "currency": "XAF", "success_url": back, "cancel_url": back})
		if err != nil {
			return "", err
		}
		d.azotte.SetReturnURL(tn, c.ReturnURL)
		return c.ID, nil
	}
	sc := map[string]sandbox.Scenario{"payunit_pays": sandbox.ScenarioPays, "payunit_pays_lost": sandbox.ScenarioPaysLost,
		"payunit_fails": sandbox.ScenarioFails, "payunit_cancelled": sandbox.ScenarioCancelled}[scenario]
	puID := d.payunit.Create(sandbox.Payment{TransactionID: ref, Amount: "2500", Currency: "XAF", NotifyURL: notify, Scenario: sc})
	c, err := d.register(ctx, publicURL, key, map[string]any{"provider": "payunit", "reference": ref, "provider_ref": puID,
		"amount": "2500", "currency": "XAF", "success_url": back, "cancel_url": back})
	if err != nil {
		return "", err
	}
	d.wg.Add(1)
	go func() { // the buyer pays a moment later, so the newcomer sees the checkout move
		defer d.wg.Done()
		select {
		case <-time.After(d.delay):
			d.payunit.Resolve(d.ctx, puID) // a lost callback is the scenario's, not an error
		case <-d.ctx.Done():
		}
	}()
	return c.ID, nil
}

type demoCheckout struct {
	ID        string `json:"id"`
	ReturnURL string `json:"return_url"`
}

// register registers a checkout through paysync's API.
func (d *demoPayments) register(ctx context.Context, publicURL, key string, body map[string]any) (demoCheckout, error) {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, publicURL+"/v1/checkouts", bytes.NewReader(raw))
	if err != nil {
		return demoCheckout{}, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return demoCheckout{}, fmt.Errorf("register demo checkout: %w", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return demoCheckout{}, fmt.Errorf("register demo checkout: %d %s", resp.StatusCode, out)
	}
	var c demoCheckout
	if err := json.Unmarshal(out, &c); err != nil {
		return demoCheckout{}, fmt.Errorf("register demo checkout: %w", err)
	}
	return c, nil
}

// demoWebhooks is the demo shop's webhook endpoint: it accepts every
// delivery (204) and counts them.
type demoWebhooks struct {
	mu sync.Mutex
	n  int
}

func (h *demoWebhooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	h.mu.Lock()
	h.n++
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
