package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paysync/paysync/store"
)

var _ store.Announcer = (*Backend)(nil)

// Listen implements store.Announcer on one dedicated connection (LISTEN
// holds a session, so not a pooled one). When the connection drops it
// reconnects with a growing pause (up to 5s) and sends SignalResync: what
// was committed meanwhile was not heard, and the workers' own periodic
// looks and the listeners' re-reads cover it.
func (b *Backend) Listen(ctx context.Context, fn func(store.Signal)) error {
	pause := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := b.listenOnce(ctx, fn, first)
		if ctx.Err() != nil {
			break
		}
		first = false
		_ = err // the connection is gone; try again after a pause
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
	return nil
}

func (b *Backend) listenOnce(ctx context.Context, fn func(store.Signal), first bool) error {
	conn, err := pgx.Connect(ctx, b.connURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{b.channel}.Sanitize()); err != nil {
		return err
	}
	if !first {
		fn(store.Signal{Kind: store.SignalResync})
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if s, ok := parseSignal(n.Payload); ok {
			fn(s)
		}
	}
}
