package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	paysync "github.com/paysync/paysync/internal/app"
)

// backupCmd is "paysync backup --db FILE --out COPY": a consistent copy of
// the SQLite database, taken while the service runs.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backup", stderr)
	db := fs.String("db", or(getenv("PAYSYNC_DB"), "paysync.db"), "SQLite file to copy ($PAYSYNC_DB)")
	out := fs.String("out", "", "the copy: a new file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("usage: paysync backup --db FILE --out COPY")
	}
	if err := paysync.Backup(ctx, *db, *out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s (integrity_check ok)\n", *db, *out)
	return nil
}
