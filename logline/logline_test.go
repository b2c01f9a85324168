package logline

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"
)

// at is the records' time: one with nanoseconds and a zone, as slog
// writes it in full (RFC 3339 with nanoseconds).
var at = time.Date(2026, 12, 3, 19, 17, 25, 123456789, time.FixedZone("", 3600))

// records are the lines compared: the request log's, and every kind and
// escape the fast path encodes, and what it leaves to slog.
func records() []slog.Record {
	rec := func(t time.Time, l slog.Level, msg string, attrs ...slog.Attr) slog.Record {
		r := slog.NewRecord(t, l, msg, 0)
		r.AddAttrs(attrs...)
		return r
	}
	return []slog.Record{
		rec(at, slog.LevelInfo, "request", slog.String("method", "POST"), slog.String("path", "/hooks/payunit/:token"),
			slog.Int("status", 200), slog.Float64("latency_ms", 1.234), slog.String("request_id", "abc"), slog.Int64("bytes", 17)),
		rec(at, slog.LevelError, "request", slog.Int("status", 500), slog.Float64("latency_ms", 0)),
		rec(time.Time{}, slog.LevelWarn+2, "no time"),
		rec(at, slog.LevelDebug, "quotes \" and \\ and \n\r\t \x01 \x7f <&> é \u2028\u2029 \xff",
			slog.String("k\"ey", "v\x00\u2029"), slog.Bool("b", true), slog.Uint64("u", math.MaxUint64),
			slog.Int64("i", math.MinInt64), slog.Duration("d", 1500*time.Millisecond)),
		rec(at, slog.LevelInfo, "floats", slog.Float64("a", 1e21), slog.Float64("b", 1e-7), slog.Float64("c", -0.5),
			slog.Float64("d", 123456789.125), slog.Float64("e", 1e20), slog.Float64("f", 5e-324), slog.Float64("g", math.MaxFloat64)),
		// left to slog:
		rec(at, slog.LevelInfo, "nan", slog.Float64("x", math.NaN()), slog.Float64("y", math.Inf(-1))),
		rec(at, slog.LevelInfo, "kinds", slog.Time("t", at), slog.Any("err", errors.New("boom")), slog.Any("m", map[string]int{"a": 1}),
			slog.Group("g", slog.String("a", "b")), slog.Attr{}, slog.String("", "empty key")),
		rec(time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC), slog.LevelInfo, "far"),
	}
}

// TestLinesAreSlogs: every record, through every kind of derived handler,
// is the line slog.JSONHandler writes.
func TestLinesAreSlogs(t *testing.T) {
	derive := map[string]func(slog.Handler) slog.Handler{
		"plain": func(h slog.Handler) slog.Handler { return h },
		"with":  func(h slog.Handler) slog.Handler { return h.WithAttrs([]slog.Attr{slog.String("component", "http")}) },
		"with twice": func(h slog.Handler) slog.Handler {
			return h.WithAttrs([]slog.Attr{slog.String("a", "1")}).WithAttrs([]slog.Attr{slog.Int("b", 2)})
		},
		"with any":  func(h slog.Handler) slog.Handler { return h.WithAttrs([]slog.Attr{slog.Any("e", errors.New("x"))}) },
		"with none": func(h slog.Handler) slog.Handler { return h.WithAttrs(nil) },
		"group": func(h slog.Handler) slog.Handler {
			return h.WithAttrs([]slog.Attr{slog.String("a", "1")}).WithGroup("g")
		},
	}
	opts := map[string]*slog.HandlerOptions{
		"nil":     nil,
		"debug":   {Level: slog.LevelDebug},
		"source":  {AddSource: true},
		"replace": {ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr { a.Key = strings.ToUpper(a.Key); return a }},
	}
	for dn, d := range derive {
		for on, o := range opts {
			var want, got bytes.Buffer
			std, ours := d(slog.NewJSONHandler(&want, o)), d(New(&got, o))
			for _, r := range records() {
				ctx := context.Background()
				if std.Enabled(ctx, r.Level) != ours.Enabled(ctx, r.Level) {
					t.Fatalf("%s, %s: Enabled(%v) differs", dn, on, r.Level)
				}
				if !std.Enabled(ctx, r.Level) {
					continue
				}
				if err := std.Handle(ctx, r.Clone()); err != nil {
					t.Fatal(err)
				}
				if err := ours.Handle(ctx, r.Clone()); err != nil {
					t.Fatal(err)
				}
			}
			if got.String() != want.String() {
				t.Errorf("%s, %s:\n got %s\nwant %s", dn, on, got.String(), want.String())
			}
		}
	}
}

// TestRequestLineEncodedHere: the request log's line (as handlers writes
// it, through a logger With a component) is encoded without slog's
// handler, whose float encoding alone allocates.
func TestRequestLineEncodedHere(t *testing.T) {
	var out bytes.Buffer
	h := New(&out, nil).WithAttrs([]slog.Attr{slog.String("component", "http")})
	r := records()[0]
	ctx := context.Background()
	if n := testing.AllocsPerRun(100, func() {
		out.Reset()
		if err := h.Handle(ctx, r); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("the request line took %v allocations, want 0 (encoded by slog's handler?)", n)
	}
	if !strings.HasPrefix(out.String(), `{"time":"2026-12-03T19:17:25.123456789+01:00","level":"INFO","msg":"request","component":"http","method":"POST"`) {
		t.Errorf("line %s", out.String())
	}
}
