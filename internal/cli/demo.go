package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"text/template"
	"time"

	paysync "github.com/paysync/paysync/internal/app"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
)

const demoDB = "paysync-demo.db"

func demoCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", stderr)
	verbose := fs.Bool("v", false, "log every request (JSON lines on stderr); without it only warnings and errors are logged, so the instructions stay readable")
	cfg, check := bindConfig(fs, getenv, demoDB)
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "paysync demo: starting…") // at once: a cold `go run . demo` was silent while it built
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := newLogger(stderr, level)
	if err := check(); err != nil {
		return reported(log, err)
	}
	if err := demoServe(ctx, fs, cfg, getenv, log, stdout); err != nil {
		return reported(log, err)
	}
	return nil
}

// demoServe starts the sandbox providers and the demo shop, then the service
// with the demo merchant, and prints what to try until ctx ends.
func demoServe(ctx context.Context, fs *flag.FlagSet, cfg *config, getenv func(string) string, log *slog.Logger, stdout io.Writer) error {
	// The demo talks to sandbox providers on loopback and is meant to be
	// clicked through quickly.
	cfg.AllowPrivateURLs = true
	if !isSet(fs, "poll-grace") && getenv("PAYSYNC_POLL_GRACE") == "" {
		cfg.PollGrace = 15 * time.Second
	}
	if !isSet(fs, "poll-min-interval") && getenv("PAYSYNC_POLL_MIN_INTERVAL") == "" {
		cfg.PollMinInterval = 2 * time.Second
	}
	if err := freshDemoDB(cfg.DB); err != nil {
		return err
	}
	cfg.MasterKey = or(cfg.MasterKey, randomBase64(32))
	cfg.AdminToken = or(cfg.AdminToken, "adm_"+randomBase64(24))

	pu := sandbox.NewPayUnit(sandbox.PayUnitConfig{APIKey: "test_demo_key", APIUser: "demo", APIPassword: "demo", Mode: "test"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("sandbox listen: %w", err)
	}
	sb := &http.Server{Handler: pu, ReadHeaderTimeout: 10 * time.Second}
	sbDone := make(chan struct{})
	go func() { defer close(sbDone); sb.Serve(ln) }()
	defer func() { sb.Close(); <-sbDone }()
	sandboxURL := "http://" + ln.Addr().String()
	azotte := newDemoAzotte()
	azotteURL, stopAzotte, err := loopbackServer(azotte)
	if err != nil {
		return err
	}
	defer stopAzotte()

	shopURL, stopShop, err := loopbackServer(&demoShop{})
	if err != nil {
		return err
	}
	defer stopShop()
	payments := &demoPayments{ctx: ctx, payunit: pu, azotte: azotte, client: &http.Client{Timeout: 10 * time.Second},
		delay: 2 * time.Second}
	defer payments.wg.Wait()
	cfg.consoleDemo = payments.console()

	return serve(ctx, cfg, log, stdout, func(a *paysync.App) {
		m, err := a.Store().CreateMerchant(ctx, store.NewMerchant{Name: "demo shop", WebhookURL: shopURL + "/webhooks",
			ReturnHosts: []string{"127.0.0.1", "localhost", "shop.example"},
			PayUnit:     &store.PayUnitAccount{BaseURL: sandboxURL, APIUser: "demo", APIPassword: "demo", APIKey: "test_demo_key", Mode: "test"},
			Azotte:      demoAzotteAccount(azotteURL)})
		if err != nil {
			log.Error("create demo merchant", "err", err)
			return
		}
		payments.bind(a.PublicURL(), m.APIKey)
		demoText.Execute(stdout, map[string]string{"Console": a.PublicURL() + "/console/signin/" + cfg.consoleDemo.SignInToken,
			"Shop": shopURL,
			"URL":  a.PublicURL(), "Sandbox": sandboxURL, "APIKey": m.APIKey, "Admin": cfg.AdminToken,
			"Notify": a.PublicURL() + "/hooks/payunit/" + m.HookToken, "DB": cfg.DB,
			"Grace": cfg.PollGrace.String(), "Secret": m.WebhookSecret,
		})
		demoAzotteText.Execute(stdout, map[string]string{"URL": a.PublicURL(), "Azotte": azotteURL})
	})
}

// freshDemoDB removes the default demo database so each demo starts clean
// (its sandbox providers live in memory). Another path must not exist yet.
func freshDemoDB(path string) error {
	if path != demoDB {
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("demo wants a fresh database, and %s exists (the demo's own %s is reset at each start)", path, demoDB)
		}
		return nil
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("reset demo database: %w", err)
		}
	}
	return nil
}

// isSet reports whether the flag was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func randomBase64(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

var demoText = template.Must(template.New("demo").Parse(`
paysync demo is running.

  Open the console (this link signs you in once): {{.Console}}

  paysync          {{.URL}}   (data in {{.DB}}, reset at each start)
  sandbox PayUnit  {{.Sandbox}}   (api_user demo, api_password demo, api_key test_demo_key, mode test)
  merchant API key {{.APIKey}}
  webhook secret   {{.Secret}}   (signs the demo merchant's webhooks: Standard Webhooks)
  admin token      {{.Admin}}
  PayUnit notify   {{.Notify}}
  demo shop        {{.Shop}}   (its pages are the success and cancel URLs; it takes the demo merchant's webhooks)

  Request logs are off in the demo (warnings and errors still show); "paysync demo -v" logs every request.

Try it (in another terminal):

  export PAYSYNC={{.URL}} KEY={{.APIKey}} SANDBOX={{.Sandbox}}

  # 1. the shop asks paysync to start a payment: paysync registers it, then starts it at
  #    (sandbox) PayUnit with its own notify URL, and answers with the page the buyer pays on
  curl -s $PAYSYNC/v1/checkouts -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
       -d '{"provider":"payunit","start":true,"reference":"order1","amount":"2500","currency":"XAF","description":"Order 1","success_url":"{{.Shop}}/thanks","cancel_url":"{{.Shop}}/cart"}'
  # → 201 {"id":"chk_...","pay_url":"$SANDBOX/sandbox/payments/PU_payment_.../pay",...}

  # 2. the buyer opens pay_url in a browser and chooses: pay, fail, cancel, or pay but lose the
  #    callback. PayUnit posts its callback to paysync and sends the browser to paysync's return
  #    page, which checks at once and forwards it to the shop. Without a browser:
  curl -s -X POST <pay_url from step 1> -d choice=pays

  # 3. the verified state, and what paysync saw
  curl -s $PAYSYNC/v1/checkouts/<id from step 1> -H "Authorization: Bearer $KEY"
  curl -s $PAYSYNC/v1/checkouts/<id from step 1>/events -H "Authorization: Bearer $KEY"

With choice=pays_lost the callback never comes: in a browser, paysync's return page checks
at once; with curl alone, the poller settles it after the grace period ({{.Grace}}).

A payment the shop started at PayUnit itself is only registered with paysync:

  curl -s $SANDBOX/sandbox/payments -d '{"transaction_id":"order2","amount":"2500","currency":"XAF","notify_url":"{{.Notify}}","scenario":"pays"}'
  curl -s $PAYSYNC/v1/checkouts -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
       -d '{"provider":"payunit","reference":"order2","amount":"2500","currency":"XAF"}'
  curl -s -X POST $SANDBOX/sandbox/payments/<checkout_id from the first answer>/resolve

Stop with Ctrl-C.
`))
