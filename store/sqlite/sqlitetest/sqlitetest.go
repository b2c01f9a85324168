// Package sqlitetest gives tests of other rooms a store on the SQLite
// backend in one call; production opens its store through the wiring.
package sqlitetest

import (
	"context"
	"errors"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite"
)

// Open opens the SQLite backend at path with default options and the
// store over it; closing the store closes the backend.
func Open(ctx context.Context, path string, opts store.Options) (*store.DB, error) {
	b, err := sqlite.Open(ctx, path, sqlite.Options{Now: opts.Now})
	if err != nil {
		return nil, err
	}
	db, err := store.New(b, opts)
	if err != nil {
		return nil, errors.Join(err, b.Close())
	}
	return db, nil
}
