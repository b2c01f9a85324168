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
	pendingNamed int
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
	var (
		mu   sync.Mutex
		i    int
		sent = map[string]time.Time{}
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
			txn = fmt.Sprintf("p-%d", pendingBase+len(sent))
			sent[txn] = time.Now()
		}
		mu.Unlock()
		t.Method, t.URL, t.Header, t.Body = http.MethodPost, url, hdr, callbackJSON(txn)
		return nil
	}
	if need := pendingBase + int(rate*o.duration.Seconds()); need > pool {
		return f, fmt.Errorf("open loop: would name pending checkout %d of %d seeded (poolSize)", need, pool)
	}
	atk := vegeta.NewAttacker(vegeta.Workers(64), vegeta.MaxWorkers(4096), vegeta.KeepAlive(true),
		vegeta.Timeout(10*time.Second), vegeta.Connections(4096))
	var lat []time.Duration
	var firstErr error
	for res := range atk.Attack(targeter, vegeta.Rate{Freq: int(rate), Per: time.Second}, o.duration, "mix") {
		f.sent++
		if res.Code/100 == 2 {
			f.acked++
			lat = append(lat, res.Latency)
		} else if firstErr == nil {
			firstErr = fmt.Errorf("HTTP %d %s %s", res.Code, res.Error, res.Body)
		}
	}
	if firstErr != nil {
		return f, fmt.Errorf("open loop: %d of %d callbacks not acknowledged, first: %w", f.sent-f.acked, f.sent, firstErr)
	}
	slices.Sort(lat)
	f.ack50, f.ack99 = percentile(lat, 50), percentile(lat, 99)
	f.pendingNamed = len(sent)
	err := waitUntil(2*time.Minute, "status checks of the open loop's pending callbacks", func() (bool, error) {
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
	for txn, at := range sent {
		c, _ := s.checks.firstCheck(txn)
		f.toCheck = append(f.toCheck, c.Sub(at))
	}
	slices.Sort(f.toCheck)
	return f, nil
}

// decodeJSON reads a JSON answer of status 200 into v.
func decodeJSON(res *http.Response, v any) error {
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return fmt.Errorf("HTTP %d: %s", res.StatusCode, b)
	}
	return json.NewDecoder(res.Body).Decode(v)
}
