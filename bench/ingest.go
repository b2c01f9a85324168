package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// ingestFigures are the callback ingest measurements.
type ingestFigures struct {
	noop, closed, open result
	openRate           float64
	acked, stored      int // acknowledged callbacks and rows committed meanwhile
	known              int // registered (already settled) checkouts the known ids name
}

// callbackBody is a PayUnit-shaped callback. Half the bodies name one of
// the known checkouts (already settled: PayUnit retrying a callback),
// half a transaction paysync has not seen registered (an early callback,
// kept until registration); all are stored durably before the 200.
func callbackBody(known []string, i int) string {
	txn := fmt.Sprintf("unknown-%d", i)
	if i%2 == 0 && len(known) > 0 {
		txn = known[rand.IntN(len(known))]
	}
	return fmt.Sprintf(`{"transaction_id":%q,"checkout_id":"PU_payment_8da2310b-a9d5-4c9c-836e-9cc13b718939",`+
		`"status":"SUCCESS","amount":10,"currency":"XAF","transaction_amount":10}`, txn)
}

// measureIngest runs the closed-loop ingest against the no-op POST, then
// the open-loop run at half the measured rate, and checks that the store
// holds a row for every acknowledged callback.
func measureIngest(ctx context.Context, s *service, o options, known []string) (ingestFigures, error) {
	f := ingestFigures{known: len(known)}
	before, err := s.backend.CountNotifications(ctx)
	if err != nil {
		return f, err
	}
	hook := "/hooks/payunit/" + s.merchant.HookToken
	cb := func(i int) (string, string, string, string) { return "POST", hook, "", callbackBody(known, i) }
	noop := func(i int) (string, string, string, string) { return "POST", "/noop", "", callbackBody(known, i) }
	f.noop, f.closed = paired(s.base, o.duration, o.rounds, o.concurrency, noop, cb)
	f.openRate = f.closed.rate() / 2
	if f.openRate > 0 {
		f.open = openLoop(s.base, o.duration, f.openRate, 4096, func(i int) (string, string, string, string) {
			return cb(1_000_000_000 + i)
		})
	}
	after, err := s.backend.CountNotifications(ctx)
	if err != nil {
		return f, err
	}
	f.acked, f.stored = f.closed.n+f.open.n, after-before
	if f.stored < f.acked {
		return f, fmt.Errorf("ingest: %d callbacks acknowledged but only %d stored", f.acked, f.stored)
	}
	if f.closed.errors+f.open.errors > 0 {
		return f, fmt.Errorf("ingest: %d errors, first: %w", f.closed.errors+f.open.errors, cmpErr(f.closed.firstErr, f.open.firstErr))
	}
	return f, nil
}

// readFigures are the status-read measurements.
type readFigures struct{ noop, reads result }

// measureReads reads the known checkouts in turn through the merchant API
// against the no-op GET.
func measureReads(s *service, o options, ids []string) (readFigures, error) {
	noop := func(int) (string, string, string, string) { return "GET", "/noop", "", "" }
	get := func(i int) (string, string, string, string) {
		return "GET", "/v1/checkouts/" + ids[i%len(ids)], s.merchant.APIKey, ""
	}
	var f readFigures
	f.noop, f.reads = paired(s.base, o.duration, o.rounds, o.concurrency, noop, get)
	if f.reads.errors > 0 {
		return f, fmt.Errorf("reads: %d errors, first: %w", f.reads.errors, f.reads.firstErr)
	}
	return f, nil
}

// waitUntil polls cond every 10 ms until it holds or d passes.
func waitUntil(d time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(d)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
	}
}
