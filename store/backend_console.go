package store

import (
	"context"
	"time"
)

// The seam's part for the console's reads.

// ConsoleReader is the console's reads (store/console.go): each puts its
// Scope in the query itself, so a merchant scope never returns another's
// rows.
type ConsoleReader interface {
	// SearchCheckouts returns up to q.Limit checkouts within q.Scope
	// matching q, newest first (created_at, then id, descending).
	SearchCheckouts(ctx context.Context, q SearchQuery) ([]Checkout, error)
	// CountCheckoutsByState counts the scope's checkouts per state.
	CountCheckoutsByState(ctx context.Context, scope Scope) (map[State]int, error)
	// SettledBy counts the scope's checkouts settled (resolved_by set) and
	// last updated at or after since, per provider and resolved_by.
	SettledBy(ctx context.Context, scope Scope, since time.Time) ([]SettledCount, error)
	// DeliveriesByStatus returns up to limit of the scope's deliveries in
	// one of statuses, most recently updated first, without History.
	DeliveriesByStatus(ctx context.Context, scope Scope, statuses []string, limit int) ([]Delivery, error)
	// SessionRevoked reports whether the console session id was revoked
	// (signed out).
	SessionRevoked(ctx context.Context, id string) (bool, error)
}

// ConsoleTx is what a write transaction does for the console.
type ConsoleTx interface {
	// RevokeSession records that the console session id is signed out
	// until it expires at until, and forgets the revocations of sessions
	// expired at now.
	RevokeSession(ctx context.Context, id string, until, now time.Time) error
}
