package sqlite

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/mattn/go-sqlite3"

	"github.com/paysync/paysync/store"
)

// damageSeen remembers the first sign that the database file is damaged seen
// while serving (the integrity check at open, quickCheck, finds what is
// there at start): from then on the backend acknowledges no callback
// (AppendInbox fails, so the provider retries later or elsewhere) and Ping
// fails, until the process is restarted on a repaired or restored file.
type damageSeen struct{ first atomic.Pointer[error] }

// note returns err, with store.ErrDamaged in its chain when it says the
// file is damaged, and remembers the first such.
func (d *damageSeen) note(err error) error {
	if err == nil || !isDamage(err) {
		return err
	}
	err = fmt.Errorf("%w: %w", store.ErrDamaged, err)
	d.first.CompareAndSwap(nil, &err)
	return err
}

// err returns the first damage seen, or nil.
func (d *damageSeen) err() error {
	if p := d.first.Load(); p != nil {
		return fmt.Errorf("%w; stop, and restore or recover the file (%s)", *p, errDamaged)
	}
	return nil
}

// isDamage reports whether err is SQLite's report of a damaged file.
func isDamage(err error) bool {
	var e sqlite3.Error
	return errors.As(err, &e) && (e.Code == sqlite3.ErrCorrupt || e.Code == sqlite3.ErrNotADB)
}
