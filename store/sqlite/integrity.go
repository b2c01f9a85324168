package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// errDamaged says the database file fails SQLite's integrity check: it may
// hold acknowledged callbacks (the inbox) that can no longer be read
// whole, so it is not served.
var errDamaged = errors.New("the database file is damaged (PRAGMA quick_check failed); " +
	"it holds the acknowledged callbacks not processed yet: stop, restore the file from a backup " +
	"(paysync backup), or recover it with the sqlite3 shell's .recover into a new file, then start again")

// quickCheck runs PRAGMA quick_check on the database (every page and
// record read once, without the index cross-checks of integrity_check:
// linear in the file's size) and refuses one that fails it, or that can't
// be read at all.
func quickCheck(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `PRAGMA quick_check(10)`)
	if err != nil {
		return fmt.Errorf("%w: %w", err, errDamaged)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("%w: %w", err, errDamaged)
		}
		problems = append(problems, line)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: %w", err, errDamaged)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return fmt.Errorf("quick_check says %q: %w", strings.Join(problems, "; "), errDamaged)
	}
	return nil
}
