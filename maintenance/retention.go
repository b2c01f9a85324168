package maintenance

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/service"
	"github.com/paysync/paysync/store"
)

// The retention sweep's defaults (README, "Data lifecycle").
const (
	DefaultRetention          = 2160 * time.Hour // how long a settled checkout keeps its history: 90 days
	DefaultUnmatchedRetention = 72 * time.Hour   // how long a callback that matched no checkout is kept
)

// RetentionStore is what the retention sweep needs of the store.
type RetentionStore interface {
	Sweep(ctx context.Context, r store.Retention) (store.Swept, error)
	Size(ctx context.Context) (int64, error)
}

var _ RetentionStore = (*store.DB)(nil)

// RetentionConfig configures NewRetention. Zero values take the defaults
// shown (README, "Data lifecycle").
type RetentionConfig struct {
	// Settled is how long a settled checkout keeps its history (events,
	// raw callbacks, delivery attempts): DefaultRetention.
	Settled time.Duration
	// Unmatched is how long a callback that matched no checkout is kept:
	// DefaultUnmatchedRetention.
	Unmatched time.Duration
	Period    time.Duration // between two sweeps: 1h
	// Timeout bounds one sweep (30m); what it committed stays.
	Timeout time.Duration
	// OnSweep, when set, learns what each successful sweep did, after it.
	OnSweep func(store.Swept)
	Logger  *slog.Logger // discarded by default
	// Metrics, when set, receives the sweep's instruments: rows deleted by
	// table, sweeps by result, and the database's size.
	Metrics prometheus.Registerer
}

// Retention runs the retention sweep (store.DB.Sweep) at start and then
// every period, until Stop, and counts what it deleted. Stop lets a sweep
// in progress end after its current batch (what it committed stays).
type Retention struct {
	service.Base
	db        RetentionStore
	cfg       RetentionConfig
	retention store.Retention
	deleted   *prometheus.CounterVec
	sweeps    *prometheus.CounterVec
}

var _ service.Service = (*Retention)(nil)

// NewRetention returns the retention sweep over db. It fails when cfg.Metrics
// refuses an instrument (a name registered twice).
func NewRetention(db RetentionStore, cfg RetentionConfig) (*Retention, error) {
	cfg.Settled = cmp.Or(cfg.Settled, DefaultRetention)
	cfg.Unmatched = cmp.Or(cfg.Unmatched, DefaultUnmatchedRetention)
	cfg.Period = cmp.Or(cfg.Period, time.Hour)
	cfg.Timeout = cmp.Or(cfg.Timeout, 30*time.Minute)
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	s := &Retention{db: db, cfg: cfg, retention: store.Retention{Settled: cfg.Settled, Unmatched: cfg.Unmatched},
		deleted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paysync_retention_deleted_rows_total",
			Help: "Rows deleted by the retention sweep, by table (notifications: raw callbacks of settled checkouts; unmatched_notifications: callbacks that never matched)."},
			[]string{"table"}),
		sweeps: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paysync_retention_sweeps_total",
			Help: "Retention sweeps run, by result (ok, error)."}, []string{"result"}),
	}
	size := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paysync_database_size_bytes",
		Help: "Size of the database (SQLite: page_count × page_size; PostgreSQL: paysync's tables with indexes and TOAST)."},
		s.size)
	if cfg.Metrics != nil {
		for _, c := range []prometheus.Collector{s.deleted, s.sweeps, size} {
			if err := cfg.Metrics.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// size reads the database's size for a scrape; -1 when it can't.
func (s *Retention) size() float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := s.db.Size(ctx)
	if err != nil {
		return -1
	}
	return float64(n)
}

// Start runs a sweep at once, then every period, until Stop or ctx ends.
func (s *Retention) Start(ctx context.Context) {
	s.Go(ctx, func(ctx context.Context) { service.Every(ctx, 0, s.cfg.Period, s.sweepOnce) })
}

// sweepOnce runs one sweep, bounded by the configured timeout, logs and
// counts it.
func (s *Retention) sweepOnce(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	out, err := s.db.Sweep(ctx, s.retention)
	for table, n := range map[string]int64{"events": out.Events, "notifications": out.Notifications,
		"delivery_attempts": out.Attempts, "unmatched_notifications": out.Unmatched} {
		s.deleted.WithLabelValues(table).Add(float64(n))
	}
	if err != nil {
		s.sweeps.WithLabelValues("error").Inc()
		if !errors.Is(ctx.Err(), context.Canceled) { // not the shutdown
			s.cfg.Logger.Error("retention sweep", "err", err)
		}
		return
	}
	s.sweeps.WithLabelValues("ok").Inc()
	if s.cfg.OnSweep != nil {
		s.cfg.OnSweep(out)
	}
	if out.Deleted() {
		s.cfg.Logger.Info("retention sweep", "checkouts_purged", out.Checkouts, "events", out.Events,
			"callbacks", out.Notifications, "attempts", out.Attempts, "unmatched_callbacks", out.Unmatched,
			"size_before", out.SizeBefore, "size_after", out.SizeAfter, "batches", out.Batches)
	}
}
