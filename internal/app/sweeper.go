package app

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/store"
)

// The data lifecycle's defaults (README, "Data lifecycle").
const (
	defaultRetention          = 2160 * time.Hour // 90 days
	defaultUnmatchedRetention = 72 * time.Hour
	defaultSweepPeriod        = time.Hour
	sweepTimeout              = 30 * time.Minute // one sweep's bound; what it committed stays
)

// sweeper runs the retention sweep (store.DB.Sweep) every period, from
// Start until Stop, and counts what it deleted.
type sweeper struct {
	db        *store.DB
	retention store.Retention
	period    time.Duration
	onSweep   func(store.Swept)
	log       *slog.Logger
	deleted   *prometheus.CounterVec
	sweeps    *prometheus.CounterVec

	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// newSweeper builds the sweeper of cfg and registers its metrics on reg:
// rows deleted by table, sweeps by result, and the database's size.
func newSweeper(db *store.DB, cfg Config, log *slog.Logger, reg prometheus.Registerer) (*sweeper, error) {
	s := &sweeper{db: db, log: log, onSweep: cfg.OnSweep, period: cmp.Or(cfg.SweepPeriod, defaultSweepPeriod),
		retention: store.Retention{Settled: cmp.Or(cfg.Retention, defaultRetention),
			Unmatched: cmp.Or(cfg.UnmatchedRetention, defaultUnmatchedRetention)},
		deleted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paysync_retention_deleted_rows_total",
			Help: "Rows deleted by the retention sweep, by table (notifications: raw callbacks of settled checkouts; unmatched_notifications: callbacks that never matched)."},
			[]string{"table"}),
		sweeps: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paysync_retention_sweeps_total",
			Help: "Retention sweeps run, by result (ok, error)."}, []string{"result"}),
	}
	size := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paysync_database_size_bytes",
		Help: "Size of the database (SQLite: page_count × page_size; PostgreSQL: paysync's tables with indexes and TOAST)."},
		s.size)
	for _, c := range []prometheus.Collector{s.deleted, s.sweeps, size} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// size reads the database's size for a scrape; -1 when it can't.
func (s *sweeper) size() float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := s.db.Size(ctx)
	if err != nil {
		return -1
	}
	return float64(n)
}

// Start runs a sweep at once, then every period, until Stop.
func (s *sweeper) Start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go s.loop(ctx)
}

// Stop ends the loop and waits for it; a sweep in progress stops after
// its current batch (what it committed stays).
func (s *sweeper) Stop() {
	s.once.Do(func() {
		if s.cancel != nil {
			s.cancel()
			<-s.done
		}
	})
}

func (s *sweeper) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sweepOnce(ctx)
			t.Reset(s.period)
		}
	}
}

// sweepOnce runs one sweep, bounded by sweepTimeout, logs and counts it.
func (s *sweeper) sweepOnce(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, sweepTimeout)
	defer cancel()
	out, err := s.db.Sweep(ctx, s.retention)
	for table, n := range map[string]int64{"events": out.Events, "notifications": out.Notifications,
		"delivery_attempts": out.Attempts, "unmatched_notifications": out.Unmatched} {
		s.deleted.WithLabelValues(table).Add(float64(n))
	}
	if err != nil {
		s.sweeps.WithLabelValues("error").Inc()
		if !errors.Is(ctx.Err(), context.Canceled) { // not the shutdown
			s.log.Error("retention sweep", "err", err)
		}
		return
	}
	s.sweeps.WithLabelValues("ok").Inc()
	if s.onSweep != nil {
		s.onSweep(out)
	}
	if out.Deleted() {
		s.log.Info("retention sweep", "checkouts_purged", out.Checkouts, "events", out.Events,
			"callbacks", out.Notifications, "attempts", out.Attempts, "unmatched_callbacks", out.Unmatched,
			"size_before", out.SizeBefore, "size_after", out.SizeAfter, "batches", out.Batches)
	}
}
