package main

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// callbackBody is a PayUnit-shaped callback. Half the bodies name one of
// the known references, half a transaction paysync has not seen registered.
func callbackBody(known []string, i int) string {
	txn := fmt.Sprintf("unknown-%d", i)
	if i%2 == 0 && len(known) > 0 {
		txn = known[rand.IntN(len(known))]
	}
	return fmt.Sprintf(`{"transaction_id":%q,"checkout_id":"PU_payment_8da2310b-a9d5-4c9c-836e-9cc13b718939",`+
		`"status":"SUCCESS","amount":10,"currency":"XAF","transaction_amount":10}`, txn)
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
