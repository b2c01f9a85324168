package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/paysync/paysync/sandbox"
)

// truthFigures are the time-to-truth measurements.
type truthFigures struct {
	n         int
	p50, max  time.Duration
	grace     time.Duration
	minPoll   time.Duration
	payWithin time.Duration
}

// measureTruth registers o.truthN checkouts through the merchant API whose
// payments succeed at a random moment within two poll graces of the
// registration with the callback lost (sandbox scenario pays_lost), and
// times each from the payment to `succeeded` in GET /v1/checkouts/{id}
// (read every 10 ms).
func measureTruth(ctx context.Context, s *service, o options) (truthFigures, error) {
	f := truthFigures{n: o.truthN, grace: o.pollGrace, minPoll: o.pollMin, payWithin: 2 * o.pollGrace}
	cl := newClient(8)
	var mu sync.Mutex
	var took []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	for i := range o.truthN {
		wg.Go(func() {
			d, err := oneTruth(ctx, s, cl, fmt.Sprintf("truth-%d", i), time.Duration(rand.Int64N(int64(f.payWithin))))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				firstErr = cmpErr(firstErr, err)
				return
			}
			took = append(took, d)
		})
	}
	wg.Wait()
	if firstErr != nil {
		return f, firstErr
	}
	slices.Sort(took)
	f.p50, f.max = percentile(took, 50), took[len(took)-1].Round(time.Millisecond)
	return f, nil
}

func oneTruth(ctx context.Context, s *service, cl *http.Client, ref string, payAfter time.Duration) (time.Duration, error) {
	pay := s.sandbox.Create(sandbox.Payment{TransactionID: ref, Amount: "10", Currency: "XAF", Scenario: sandbox.ScenarioPaysLost})
	body := fmt.Sprintf(`{"provider":"payunit","reference":%q,"amount":"10","currency":"XAF"}`, ref)
	var ck struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	if err := apiCall(cl, s, "POST", "/v1/checkouts", body, http.StatusCreated, &ck); err != nil {
		return 0, err
	}
	time.Sleep(payAfter) // the buyer pays a while after the registration
	paid := time.Now()
	if err := s.sandbox.Resolve(ctx, pay); err != nil {
		return 0, err
	}
	for time.Since(paid) < 5*time.Minute {
		if err := apiCall(cl, s, "GET", "/v1/checkouts/"+ck.ID, "", http.StatusOK, &ck); err != nil {
			return 0, err
		}
		if ck.State == "succeeded" {
			return time.Since(paid), nil
		}
		if ck.State != "pending" {
			return 0, fmt.Errorf("time to truth: %s became %s", ref, ck.State)
		}
		time.Sleep(10 * time.Millisecond) // the merchant's polling interval
	}
	return 0, fmt.Errorf("time to truth: %s not settled after 5m", ref)
}

// apiCall sends a merchant API request and decodes the answer into out.
func apiCall(cl *http.Client, s *service, method, path, body string, want int, out any) error {
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.merchant.APIKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := cl.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d", method, path, resp.StatusCode, want)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
