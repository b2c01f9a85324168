package main

import (
	"fmt"
	"time"
)

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
