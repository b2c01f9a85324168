// Package migration is what the SQL backends share about their embedded
// migrations: which there are, in the order they apply, and whether a
// database has them all. Each backend keeps its own SQL and applies them
// its own way.
package migration

import (
	"fmt"
	"io/fs"
	"sort"
)

// Names returns the migrations/*.sql files of fsys, in the order they apply.
func Names(fsys fs.FS) ([]string, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

// Complete returns nil when applied (the rows of schema_migrations) is
// every migration of fsys, and else an error saying how many are.
func Complete(applied int, fsys fs.FS) error {
	names, err := Names(fsys)
	if err != nil {
		return err
	}
	if applied != len(names) {
		return fmt.Errorf("%d of %d migrations applied", applied, len(names))
	}
	return nil
}
