package poller

import (
	"fmt"

	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/store"
)

// The verdict path, one finding from the provider to the store:
//
//  1. Checker.Check returns a plugin.Report (checker.go): the provider's
//     answer in paysync's terms, a Finding plus scheduling hints.
//  2. outcomeOf(Report) is an outcome (schedule.go): what the answer says
//     about scheduling.
//  3. Config.schedule(now, checkout, outcome, jitter) is a plan: when to
//     check next, or to expire, or to give up on a checkout never found.
//  4. Config.observation(checkout, Finding, plan) is the store.Observation
//     (below): the claim, the finding copied once, the plan.
//  5. store.ApplyBatch runs the state machine (store.decide) on each
//     observation and records the transition, its event, its outbox row
//     and the next check: the observations of checks that finish close
//     together in one transaction (applier, batch.go), each fenced on its
//     own claim.
//
// Poller.observe walks hops 1 to 4; Poller.check does hop 5.

// claimOf is the part of an observation that names the claim it answers:
// Apply refuses it (store.ErrVersionConflict) when the row moved since.
// It carries what Apply would otherwise read again (store.ClaimedAs).
func claimOf(c store.Checkout) store.Observation {
	return store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq, ClaimSeq: c.ClaimSeq,
		Claimed: store.ClaimedAs{MerchantID: c.MerchantID, Provider: c.Provider, ProviderRef: c.ProviderRef}}
}

// observation is hop 4 of the verdict path: the store.Observation for one
// check of c that found f and planned pl, for store.Apply. It credits a
// verdict to resolvedBy(c) and raises not_found when pl gave up on a
// checkout the provider never knew (unless f already has an anomaly). It is
// pure.
func (cfg Config) observation(c store.Checkout, f plugin.Finding, pl plan) store.Observation {
	obs := claimOf(c)
	obs.Checked = true
	obs.State, obs.ProviderStatus, obs.ProviderRef = store.State(f.State), f.ProviderStatus, f.ProviderRef
	obs.Amount, obs.Currency = f.Amount, f.Currency
	if f.Action != nil {
		obs.Action = &store.Action{Instructions: f.Action.Instructions}
	}
	if f.Anomaly != nil {
		obs.Anomaly = &store.Anomaly{Code: f.Anomaly.Code, Detail: f.Anomaly.Detail}
	}
	obs.Failure, obs.VerifiedByReference = f.Failure, f.VerifiedByReference
	if pl.notFound && obs.Anomaly == nil {
		obs.Anomaly = &store.Anomaly{Code: store.AnomalyNotFound,
			Detail: fmt.Sprintf("%s, %s after registration; polling stopped until a refresh or the buyer's return", f.Failure, cfg.NotFoundWindow)}
	}
	obs.ResolvedBy = cfg.resolvedBy(c)
	obs.Attempts, obs.NextCheckAt, obs.Expire = pl.attempts, pl.next, pl.expire
	return obs
}
