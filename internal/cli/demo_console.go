package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/web/console"
)

// The demo console's sandbox payments (its "start a sandbox payment" form):
// with payunit_page the newcomer is the buyer on the sandbox PayUnit's pay
// page; the other PayUnit ones are paid by the demo's buyer a moment later.
var demoScenarios = []string{"payunit_page", "payunit_pays", "payunit_pays_lost", "payunit_fails", "payunit_cancelled", "azotte_3ds"}

// demoBuyer is what the demo's buyer chooses on the sandbox PayUnit's page
// for each automatic PayUnit scenario.
var demoBuyer = map[string]sandbox.Scenario{"payunit_pays": sandbox.ScenarioPays, "payunit_pays_lost": sandbox.ScenarioPaysLost,
	"payunit_fails": sandbox.ScenarioFails, "payunit_cancelled": sandbox.ScenarioCancelled}

// demoPayments starts the console's sandbox payments the way a shop
// would, through paysync's own API with the demo merchant's key: a PayUnit
// payment is started by paysync ("start": true), an Azotte one is
// submitted at the sandbox and registered. It is bound to the running
// service by bind.
type demoPayments struct {
	ctx     context.Context // the demo's: the delayed payments stop with it
	payunit *sandbox.PayUnit
	azotte  *sandbox.Azotte
	client  *http.Client
	wg      sync.WaitGroup // the delayed payments in flight
	delay   time.Duration  // from the start to the demo's buyer paying

	mu        sync.Mutex
	publicURL string
	apiKey    string
}

func (d *demoPayments) bind(publicURL, apiKey string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.publicURL, d.apiKey = publicURL, apiKey
}

// console returns the console's demo settings with a fresh one-time
// sign-in token.
func (d *demoPayments) console() *console.Demo {
	b := make([]byte, 24)
	rand.Read(b)
	return &console.Demo{SignInToken: hex.EncodeToString(b), Scenarios: demoScenarios, Start: d.start}
}

// start starts a sandbox payment of scenario and returns its checkout id.
// For payunit_page the newcomer pays on the sandbox PayUnit's page (the
// console's checkout page links it); for the other PayUnit scenarios the
// demo's buyer makes the scenario's choice there a moment later.
func (d *demoPayments) start(ctx context.Context, scenario string) (string, error) {
	d.mu.Lock()
	publicURL, key := d.publicURL, d.apiKey
	d.mu.Unlock()
	if key == "" {
		return "", fmt.Errorf("the demo merchant is not ready")
	}
	ref := "order" + randomHex(4) // letters and digits: PayUnit's rails want no other
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
	c, err := d.register(ctx, publicURL, key, map[string]any{"provider": "payunit", "start": true, "reference": ref,
		"amount": "2500", "currency": "XAF", "description": "Demo order " + ref, "success_url": back, "cancel_url": back})
	if err != nil {
		return "", err
	}
	choice, auto := demoBuyer[scenario]
	if !auto {
		return c.ID, nil // the newcomer pays from the checkout's page (its pay page link)
	}
	d.wg.Add(1)
	go func() { // the buyer pays a moment later, so the newcomer sees the checkout move
		defer d.wg.Done()
		select {
		case <-time.After(d.delay):
			d.payunit.Choose(d.ctx, ref, choice) // a lost callback is the scenario's, not an error
		case <-d.ctx.Done():
		}
	}()
	return c.ID, nil
}

type demoCheckout struct {
	ID        string `json:"id"`
	ReturnURL string `json:"return_url"`
}

// register registers (and with "start", starts) a checkout through
// paysync's API.
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

// demoShop is the demo's shop: it takes every webhook delivery (a POST,
// answered 204) and shows a page for every GET, where paysync's return
// page sends the buyer (the success and cancel URLs).
type demoShop struct{}

func (demoShop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	if r.Method != http.MethodGet {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	demoShopPage.Execute(w, r.URL.Path)
}

var demoShopPage = htmltemplate.Must(htmltemplate.New("shop").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo shop</title></head>
<body><main><h1 id="shop">Demo shop</h1>
<p>The buyer is back at the shop, on <code id="shop-path">{{.}}</code>. paysync verified the payment with PayUnit before sending them here; the shop learns the verdict from paysync's webhook.</p>
</main></body></html>
`))

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
