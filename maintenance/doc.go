// Package maintenance holds paysync's periodic background services, one
// per file: the retention sweep (Retention, retention.go) and the drain of
// the callback inbox (InboxDrain, inbox_drain.go). Each embeds
// service.Base, is built by a constructor taking a Config whose zero
// values are defaults, registers its metrics on the Registerer it is
// given, and is started and stopped by the wiring (internal/app) among
// the others.
package maintenance
