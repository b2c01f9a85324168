package store

import (
	"context"
	"errors"
)

// Backend is a database that keeps paysync's state. It offers row-level
// operations and transactions; the rules (the state machine, the outbox,
// what a callback or a registration does) are written once, in this
// package, on top of it. store/sqlite is the embedded backend; every
// backend passes the conformance suite in store/storetest.
//
// Times cross the seam as time.Time at millisecond precision; "now" is
// always passed in by the store (one reading per transaction), so a backend
// keeps no clock of its own.
type Backend interface {
	Reader
	Instances
	// Write runs fn in one write transaction and returns once that
	// transaction committed, or with fn's error after rolling fn's writes
	// back. ctx bounds the wait for the transaction, not fn's statements
	// once it runs. A backend may run several Write calls in one commit
	// (group commit) as long as each keeps its own all-or-nothing outcome.
	Write(ctx context.Context, fn func(Tx) error) error
	// AppendInbox durably appends one acknowledged callback to the inbox
	// and returns once it is committed. It is a single insert, so a
	// backend may commit it with others without a savepoint of its own;
	// it fails only when the database does (I/O, disk full).
	AppendInbox(ctx context.Context, e InboxEntry) error
	// Ping reports whether the database answers with its schema complete.
	Ping(ctx context.Context) error
	// Close waits for the writes already queued and releases the database.
	Close() error

	// Size returns the database's size in bytes, as the operator pays for
	// it (SQLite: the file's pages; PostgreSQL: paysync's tables).
	Size(ctx context.Context) (int64, error)
	// Compact returns the space freed by deletions to the file system
	// where the database doesn't do it by itself (SQLite's incremental
	// vacuum, in short steps so that writers aren't stalled); a no-op on
	// PostgreSQL, whose autovacuum does it.
	Compact(ctx context.Context) error
}

// Reader is the read side of a Backend: each call reads committed state
// outside any write transaction. Lookups of one row return ENOTFOUND when
// there is none. Its methods are declared by entity, in backend_*.go.
type Reader interface {
	CheckoutReader
	CallbackReader
	DeliveryReader
	MerchantReader
	ConsoleReader
}

// Tx is one write transaction of a Backend. The "ForUpdate" reads lock
// the row they return until the transaction ends (SELECT … FOR UPDATE on
// a database with concurrent writers; a single-writer database is already
// serialized), so what the store decides from them can't be overtaken.
// Its methods are declared by entity, in backend_*.go.
type Tx interface {
	CheckoutTx
	CallbackTx
	DeliveryTx
	MerchantTx
	MaintenanceTx
	ConsoleTx
}

// ErrDuplicate is what a backend's insert returns when a unique key is
// already taken; the store then finds the row that holds it.
var ErrDuplicate = errors.New("duplicate key")
