package service

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"time"
)

// Source is where a Loop finds its work.
type Source[T any] interface {
	// Claim leases up to limit items that are due now, for lease: until it
	// runs out no other claim returns them. An item whose run ends without
	// recording anything comes back once its lease has expired.
	Claim(ctx context.Context, limit int, lease time.Duration) ([]T, error)
	// NextDue returns when the next item falls due; ok is false when
	// nothing is scheduled.
	NextDue(ctx context.Context) (due time.Time, ok bool, err error)
}

// LoopConfig configures NewLoop. Zero values take the defaults shown.
type LoopConfig struct {
	// Name prefixes the loop's log messages ("poller" logs "poller pass").
	Name        string
	Concurrency int           // items in flight at once (1)
	Lease       time.Duration // how long a claim holds an item (1m)
	MaxWait     time.Duration // longest idle sleep between looks at the source (30s)

	Now    func() time.Time // clock, for the sleep until NextDue; time.Now
	Logger *slog.Logger     // receives failed passes; discarded by default

	// Wake, when set, is the signal that wakes the loop (Loop.Wake
	// notifies it): made before the loop, it can be notified before the
	// loop exists. Default: a signal of the loop's own.
	Wake Signal

	// BeforePass, when set, runs at the start of every pass of the
	// background loop (not RunOnce), before the claim: the poller samples
	// its backlog there. It runs on the loop's goroutine.
	BeforePass func(ctx context.Context)
}

// withDefaults fills the zero fields of cfg and checks the rest.
func (cfg LoopConfig) withDefaults() (LoopConfig, error) {
	cfg.Name = cmp.Or(cfg.Name, "loop")
	cfg.Concurrency = cmp.Or(cfg.Concurrency, 1)
	cfg.Lease = cmp.Or(cfg.Lease, time.Minute)
	cfg.MaxWait = cmp.Or(cfg.MaxWait, 30*time.Second)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case cfg.Concurrency < 1:
		return cfg, errors.New("loop: concurrency must be positive")
	case cfg.Lease < 0 || cfg.MaxWait < 0:
		return cfg, errors.New("loop: lease and max wait must not be negative")
	}
	return cfg, nil
}
