// Command bench measures paysync's callback ingest and status reads against
// a no-op Echo route served by the same process, on a fresh temporary
// database with synchronous=FULL, and prints one table of ratios.
//
//	go run ./bench -duration 5s -concurrency 32
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/handlers"
	"github.com/paysync/paysync/store"
)

func main() {
	duration := flag.Duration("duration", 3*time.Second, "how long each load runs")
	concurrency := flag.Int("concurrency", 32, "concurrent clients")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*duration, *concurrency, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type noWake struct{}

func (noWake) Wake() {}

func run(duration time.Duration, concurrency int, out io.Writer) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "paysync-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, filepath.Join(dir, "bench.db"), store.Options{MasterKey: make([]byte, 32)})
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "bench",
		PayUnit: &store.PayUnitAccount{BaseURL: "https://gateway.payunit.net", APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "live"}})
	if err != nil {
		return err
	}
	c, _, err := db.RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		Reference: "bench-1", Amount: "10", Currency: "XAF", FirstCheckAt: time.Now().Add(time.Hour)})
	if err != nil {
		return err
	}
	e, err := handlers.New(handlers.Config{Store: db, Waker: noWake{}, PublicURL: "http://bench.test"})
	if err != nil {
		return err
	}
	e.POST("/noop", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]bool{"received": true}) })
	e.GET("/noop", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]bool{"ok": true}) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: e}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	body := `{"transaction_id":"bench-1","checkout_id":"PU_payment_8da2310b-a9d5-4c9c-836e-9cc13b718939","status":"SUCCESS","amount":10,"currency":"XAF"}`

	load := func(method, path, auth, body string) result {
		return hammer(duration, concurrency, func(cl *http.Client) error {
			req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if auth != "" {
				req.Header.Set("Authorization", "Bearer "+auth)
			}
			resp, err := cl.Do(req)
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return nil
		})
	}
	noopPost := load("POST", "/noop", "", body)
	ingest := load("POST", "/hooks/payunit/"+m.HookToken, "", body)
	noopGet := load("GET", "/noop", "", "")
	reads := load("GET", "/v1/checkouts/"+c.ID, m.APIKey, "")

	fmt.Fprintf(out, "machine: %s/%s, %d CPUs, %s; %d clients, %v per load, SQLite WAL synchronous=FULL\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), concurrency, duration)
	fmt.Fprintf(out, "| load | req/s | p50 | p99 | errors | ratio to no-op |\n|---|---|---|---|---|---|\n")
	row := func(name string, r, base result) {
		fmt.Fprintf(out, "| %s | %.0f | %v | %v | %d | %.1f%% |\n", name, r.rate(), r.pct(50), r.pct(99), r.errors, 100*r.rate()/base.rate())
	}
	row("no-op POST (baseline)", noopPost, noopPost)
	row("callback ingest (durable)", ingest, noopPost)
	row("no-op GET (baseline)", noopGet, noopGet)
	row("status read", reads, noopGet)
	return nil
}

type result struct {
	n, errors int
	elapsed   time.Duration
	lat       []time.Duration
}

func (r result) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

func (r result) pct(p int) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[(len(r.lat)-1)*p/100].Round(10 * time.Microsecond)
}

// hammer runs fn from concurrency goroutines for d and collects latencies.
func hammer(d time.Duration, concurrency int, fn func(*http.Client) error) result {
	cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency, MaxIdleConns: concurrency}}
	var mu sync.Mutex
	var all result
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			var local result
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if err := fn(cl); err != nil {
					local.errors++
					continue
				}
				local.lat = append(local.lat, time.Since(t0))
				local.n++
			}
			mu.Lock()
			all.n += local.n
			all.errors += local.errors
			all.lat = append(all.lat, local.lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	all.elapsed = time.Since(start)
	slices.Sort(all.lat)
	return all
}
