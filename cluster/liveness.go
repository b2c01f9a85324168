package cluster

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/service"
	"github.com/paysync/paysync/store"
)

// LivenessStore is what the liveness service needs of the store.
type LivenessStore interface {
	// Live keeps this instance known to the others until ctx ends
	// (store.DB.Live).
	Live(ctx context.Context, fn func(instance string)) error
	ReleaseGone(ctx context.Context) (store.Released, error)
	ReleaseClaims(ctx context.Context, instance string) (store.Released, error)
	OldestClaims(ctx context.Context) (checks, deliveries time.Duration, err error)
}

var _ LivenessStore = (*store.DB)(nil)

// LivenessConfig configures NewLiveness. Zero values take the defaults
// shown.
type LivenessConfig struct {
	// Every is how often the instances that are gone are looked for and
	// their claims handed back, and the oldest claim measured: 2s. With
	// the backend's heartbeat expiry (6s) a vanished instance's work is
	// taken over within 10s.
	Every time.Duration
	// Timeout bounds one look, and the hand-back at Stop: 5s.
	Timeout time.Duration
	Now     func() time.Time // the clock of the logs' down time; time.Now
	Wake    func()           // the poller's Wake, when this instance is live again; nil wakes nothing
	Send    func()           // the webhook dispatcher's Wake, likewise
	Logger  *slog.Logger
	// Metrics, when set, receives paysync_claims_taken_over_total,
	// paysync_claim_oldest_age_seconds and paysync_instance_live.
	Metrics prometheus.Registerer
}

// Liveness keeps this instance known as live to the others sharing the
// database, and takes over the claims of those that are gone: every
// Every it hands back the checks and deliveries a vanished instance had
// claimed (due now; the poller and the dispatcher of every instance are
// woken at commit), so they don't wait for their lease, which stays the
// last resort for an instance alive but stuck. While this instance has
// lost its session it claims nothing; it logs each loss and each return
// once. At Stop, which comes after the poller's and the dispatcher's
// (start it before them), it hands its own claims back at once.
type Liveness struct {
	service.Base
	db  LivenessStore
	cfg LivenessConfig

	mu       sync.Mutex
	instance string    // the current session's instance; "" while none
	lostAt   time.Time // when the last session was lost; zero when live or never lost
	started  func()    // the run's Base started: called at the first session

	takenOver *prometheus.CounterVec
	oldest    *prometheus.GaugeVec
	up        prometheus.Gauge
}

var _ service.Service = (*Liveness)(nil)

// NewLiveness returns the liveness service of db. It fails when
// cfg.Metrics refuses a metric (a name registered twice).
func NewLiveness(db LivenessStore, cfg LivenessConfig) (*Liveness, error) {
	cfg.Every = cmp.Or(cfg.Every, 2*time.Second)
	cfg.Timeout = cmp.Or(cfg.Timeout, 5*time.Second)
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Wake == nil {
		cfg.Wake = func() {}
	}
	if cfg.Send == nil {
		cfg.Send = func() {}
	}
	l := &Liveness{db: db, cfg: cfg,
		takenOver: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paysync_claims_taken_over_total",
			Help: "Claims of instances that were gone (killed, crashed, cut from the database) handed back by this instance before their lease ran out, by kind (check, delivery)."},
			[]string{"kind"}),
		oldest: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "paysync_claim_oldest_age_seconds",
			Help: "Age of the oldest claim still held by any instance, by kind (check, delivery); 0 when none is held."},
			[]string{"kind"}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{Name: "paysync_instance_live",
			Help: "1 while this instance holds its liveness session with the database (it claims work), else 0."}),
	}
	for _, k := range []string{kindCheck, kindDelivery} {
		l.takenOver.WithLabelValues(k)
		l.oldest.WithLabelValues(k)
	}
	if cfg.Metrics != nil {
		for _, c := range []prometheus.Collector{l.takenOver, l.oldest, l.up} {
			if err := cfg.Metrics.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return l, nil
}

const (
	kindCheck    = "check"
	kindDelivery = "delivery"
)

// Start holds this instance's liveness session and looks for gone
// instances every Every, until Stop or ctx ends; then it hands this
// instance's claims back and ends the session. It returns at once; the
// service counts as started (Started) once its first session is up, so
// the wiring can wait for an instance able to claim.
func (l *Liveness) Start(ctx context.Context) {
	ctx, started, stopped, ok := l.StartInit(ctx)
	if !ok {
		return
	}
	l.mu.Lock()
	l.started = started
	l.mu.Unlock()
	go func() {
		defer stopped()
		l.run(ctx)
	}()
}

// run is the service's run: the session beside the periodic looks.
func (l *Liveness) run(ctx context.Context) {
	session, end := context.WithCancel(context.WithoutCancel(ctx))
	defer end()
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := l.db.Live(session, l.transition); err != nil {
			l.cfg.Logger.Error("liveness session", "err", err)
		}
	})
	service.Every(ctx, 0, l.cfg.Every, l.round)
	l.handBack(ctx)
	end()
	wg.Wait()
}

// Instance returns this instance's id in its current session, or "" while
// it has none.
func (l *Liveness) Instance() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.instance
}

// transition learns each start and loss of the session (store.DB.Live),
// logs it once and, on a start, wakes the workers: what came due while
// this instance was not live waits for them.
func (l *Liveness) transition(id string) {
	l.mu.Lock()
	lostAt, started := l.lostAt, l.started
	l.instance = id
	if id == "" {
		l.lostAt = l.cfg.Now()
	} else {
		l.lostAt = time.Time{}
	}
	l.mu.Unlock()
	if id == "" {
		l.up.Set(0)
		l.cfg.Logger.Warn("lost the database: this instance claims no work until its session is back", "event", "liveness_lost")
		return
	}
	l.up.Set(1)
	started() // once per run: the first session
	if lostAt.IsZero() {
		l.cfg.Logger.Info("live: this instance is known to the others sharing the database", "event", "liveness_up", "instance", id)
	} else {
		l.cfg.Logger.Info("regained the database: this instance claims work again", "event", "liveness_regained",
			"instance", id, "down_ms", l.cfg.Now().Sub(lostAt).Milliseconds())
	}
	l.cfg.Wake()
	l.cfg.Send()
}

// round hands back the claims of the instances that are gone, then
// measures the oldest claim. It does nothing while this instance is not
// live (the database is unreachable from here anyway).
func (l *Liveness) round(ctx context.Context) {
	if l.Instance() == "" {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	r, err := l.db.ReleaseGone(rctx)
	switch {
	case err != nil && ctx.Err() == nil:
		l.cfg.Logger.Error("look for gone instances", "err", err)
	case r.Instances > 0 || r.Checks > 0 || r.Deliveries > 0:
		l.takenOver.WithLabelValues(kindCheck).Add(float64(r.Checks))
		l.takenOver.WithLabelValues(kindDelivery).Add(float64(r.Deliveries))
		l.cfg.Logger.Info("took over the claims of gone instances", "event", "claims_taken_over",
			"instances", r.Instances, "checks", r.Checks, "deliveries", r.Deliveries)
	}
	checks, deliveries, err := l.db.OldestClaims(rctx)
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
			l.cfg.Logger.Error("measure the oldest claim", "err", err)
		}
		return
	}
	l.oldest.WithLabelValues(kindCheck).Set(checks.Seconds())
	l.oldest.WithLabelValues(kindDelivery).Set(deliveries.Seconds())
}

// handBack hands this instance's claims back at once: the poller and the
// dispatcher stopped before this service, so nothing it claimed is in
// flight any more.
func (l *Liveness) handBack(ctx context.Context) {
	id := l.Instance()
	if id == "" {
		return
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.cfg.Timeout)
	defer cancel()
	r, err := l.db.ReleaseClaims(hctx, id)
	if err != nil {
		l.cfg.Logger.Error("hand back this instance's claims (their lease brings them back)", "err", err)
		return
	}
	if r.Checks > 0 || r.Deliveries > 0 {
		l.cfg.Logger.Info("handed back this instance's claims", "event", "claims_handed_back",
			"checks", r.Checks, "deliveries", r.Deliveries)
	}
}
