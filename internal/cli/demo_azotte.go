package cli

import (
	"fmt"
	"net"
	"net/http"
	"text/template"
	"time"

	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
)

// Credentials of the demo's sandbox Azotte.
const (
	demoAzotteTenant = "tn_demo"
	demoAzotteKey    = "sk_demo"
)

// loopbackServer serves h on a fresh 127.0.0.1 port until stop is called.
func loopbackServer(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("sandbox listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { srv.Close(); <-done }, nil
}

// demoAzotteAccount is the demo merchant's account at the sandbox Azotte.
func demoAzotteAccount(sandboxURL string) *store.AzotteAccount {
	return &store.AzotteAccount{BaseURL: sandboxURL + "/api/v1", TenantID: demoAzotteTenant, APIKey: demoAzotteKey}
}

func newDemoAzotte() *sandbox.Azotte {
	return sandbox.NewAzotte(sandbox.AzotteOptions{TenantID: demoAzotteTenant, APIKey: demoAzotteKey})
}

var demoAzotteText = template.Must(template.New("demo-azotte").Parse(`
An Azotte card payment with a 3-D Secure challenge (sandbox Azotte at {{.Azotte}}):

  export AZOTTE={{.Azotte}}

  # 1. the shop submits the checkout at (sandbox) Azotte: it answers with a tracking number
  curl -s $AZOTTE/sandbox/checkouts -d '{"scenario":"3ds","processing_checks":1}'
  # → {"trackingNumber":"trk_...", ...}

  # 2. the shop tells paysync to watch it (Azotte sends no callbacks: paysync asks at once)
  curl -s $PAYSYNC/v1/checkouts -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
       -d '{"provider":"azotte","provider_ref":"<trackingNumber>","amount":"2500","currency":"XAF"}'
  # → {"id":"chk_...","return_url":"{{.URL}}/pay/<token>/return",...}

  # 3. Azotte must send the buyer back to paysync after the challenge: give it the return_url
  curl -s $AZOTTE/sandbox/checkouts/<trackingNumber>/return_url -d '{"return_url":"<return_url from step 2>"}'

  # 4. a few seconds later the checkout is action_required; its action.redirect_url is
  #    {{.URL}}/pay/<token>/3ds — open it in a browser, approve (or decline) the challenge,
  #    and paysync checks Azotte the moment the browser comes back
  curl -s $PAYSYNC/v1/checkouts/<id from step 2> -H "Authorization: Bearer $KEY"
  # → "state":"succeeded","resolved_by":"browser_return"

Other scenarios: "done", "failed", "3ds_html" (the challenge is shown from HTML content),
"not_found_then_found", "conflict", "never"; add "post_back":true to return by POST.
`))
