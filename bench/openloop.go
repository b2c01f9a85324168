package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// openFigures are the open-loop measures: callbacks sent at a fixed rate
// whatever the answers' pace (vegeta, as a library, in this process: the
// service is in another), in the realistic mix.
type openFigures struct {
	rate         float64 // planned callbacks per second
	sent, acked  int
	ack50, ack99 time.Duration
	toCheck      []time.Duration // callback sent → first status check, per pending callback, sorted
	toHook       []time.Duration // callback sent → its checkout's first verified webhook at the merchant, sorted
	pendingNamed int
	// noop50, noop99: the no-op POST route's latency at the same rate, for
	// o.duration just before (the baseline of the ack's).
	noop50, noop99 time.Duration
}

// mixKind is the kind of the i-th callback of the realistic mix: of every
// 20, 16 name a pending checkout (the real case: each wakes a check), 3 a
// settled one (PayUnit retrying) and 1 a transaction not registered yet.
func mixKind(i int) string {
	switch i % 20 {
	case 0:
		return "early"
	case 1, 2, 3:
		return "settled"
	}
	return "pending"
}

func callbackJSON(txn string) []byte {
	return []byte(`{"transaction_id":"` + txn + `","status":"SUCCESS","amount":10,"currency":"XAF","transaction_amount":10}`)
}

// runOpenLoop sends the mix at rate for o.duration, naming pending
// checkouts from pendingBase on (they must stay below pool), then waits
// until each was checked and measures callback → check.
func runOpenLoop(ctx context.Context, s *extSetup, o options, rate float64, pendingBase, pool int) (openFigures, error) {
	f := openFigures{rate: rate}
	if rate < 1 {
		return f, fmt.Errorf("open loop: no rate to run at (%.1f/s)", rate)
	}
	url := s.child.base + "/hooks/payunit/" + s.merchant.HookToken
	hdr := http.Header{"Content-Type": []string{"application/json"}}
	if need := pendingBase + int(rate*o.duration.Seconds()); need > pool {
		return f, fmt.Errorf("open loop: would name pending checkout %d of %d seeded (poolSize)", need, pool)
	}
	noop, _, err := attack(rate, o.duration, func(t *vegeta.Target) error {
		t.Method, t.URL, t.Header, t.Body = http.MethodPost, s.child.base+"/noop", hdr, callbackJSON("noop")
		return nil
	})
	if err != nil {
		return f, fmt.Errorf("open loop, no-op: %w", err)
	}
	f.noop50, f.noop99 = percentile(noop, 50), percentile(noop, 99)
	var (
		mu   sync.Mutex
		i    int
		sent = map[string]time.Time{}
		ids  = map[string]string{} // pending txn → its checkout's id
	)
	targeter := func(t *vegeta.Target) error {
		mu.Lock()
		n := i
		i++
		var txn string
		switch mixKind(n) {
		case "early":
			txn = fmt.Sprintf("u-open-%d", n)
		case "settled":
			txn = fmt.Sprintf("s-%d", n%len(s.known))
		default:
			k := pendingBase + len(sent)
			txn = fmt.Sprintf("p-%d", k)
			ids[txn] = s.pool[k]
			sent[txn] = time.Now()
		}
		mu.Unlock()
		t.Method, t.URL, t.Header, t.Body = http.MethodPost, url, hdr, callbackJSON(txn)
		return nil
	}
	lat, n, err := attack(rate, o.duration, targeter)
	f.sent = n
	f.acked = len(lat)
	if err != nil {
		return f, fmt.Errorf("open loop: %w", err)
	}
	f.ack50, f.ack99 = percentile(lat, 50), percentile(lat, 99)
	f.pendingNamed = len(sent)
	err = waitUntil(2*time.Minute, "status checks of the open loop's pending callbacks", func() (bool, error) {
		for txn := range sent {
			if _, ok := s.checks.firstCheck(txn); !ok {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return f, err
	}
	err = waitUntil(2*time.Minute, "webhooks of the open loop's pending callbacks", func() (bool, error) {
		for _, id := range ids {
			if _, ok := s.hooks.firstDelivery(id); !ok {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return f, err
	}
	for txn, at := range sent {
		c, _ := s.checks.firstCheck(txn)
		f.toCheck = append(f.toCheck, c.Sub(at))
		h, _ := s.hooks.firstDelivery(ids[txn])
		f.toHook = append(f.toHook, h.Sub(at))
	}
	slices.Sort(f.toCheck)
	slices.Sort(f.toHook)
	return f, nil
}

// attack sends what targeter names at rate for d (vegeta, keep-alive) and
// returns the latencies of the 2xx answers, sorted, and how many were
// sent; an error names the first answer not 2xx.
func attack(rate float64, d time.Duration, targeter vegeta.Targeter) ([]time.Duration, int, error) {
	atk := vegeta.NewAttacker(vegeta.Workers(64), vegeta.MaxWorkers(4096), vegeta.KeepAlive(true),
		vegeta.Timeout(10*time.Second), vegeta.Connections(4096))
	var lat []time.Duration
	var sent int
	var firstErr error
	for res := range atk.Attack(targeter, vegeta.Rate{Freq: int(rate), Per: time.Second}, d, "open") {
		sent++
		if res.Code/100 == 2 {
			lat = append(lat, res.Latency)
		} else if firstErr == nil {
			firstErr = fmt.Errorf("HTTP %d %s %s", res.Code, res.Error, res.Body)
		}
	}
	slices.Sort(lat)
	if firstErr != nil {
		return lat, sent, fmt.Errorf("%d of %d requests not acknowledged, first: %w", sent-len(lat), sent, firstErr)
	}
	return lat, sent, nil
}

// decodeJSON reads a JSON answer of status 200 into v.
func decodeJSON(res *http.Response, v any) error {
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return fmt.Errorf("HTTP %d: %s", res.StatusCode, b)
	}
	return json.NewDecoder(res.Body).Decode(v)
}
