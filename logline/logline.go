// Package logline is paysync's log handler: the JSON lines of
// log/slog's JSONHandler, byte for byte, written the same way (one Write
// of the whole line per record, before Handle returns: nothing is
// buffered, so a crash loses no line logged), but cheaper for the records
// paysync writes most, the request log's: attributes of the plain kinds
// (strings, integers, floats, booleans, durations) are encoded here,
// without slog's general machinery (a JSON encoder per float, an
// allocation for a record's sixth attribute). A record or a derived
// handler with anything else (groups, times, errors, any value, a
// LogValuer) is written by the slog.JSONHandler underneath, the same
// line it always was.
package logline

import (
	"context"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Handler is a slog.Handler writing slog.JSONHandler's lines (see the
// package doc).
type Handler struct {
	std  slog.Handler // slog's own, over the same locked writer: the fallback
	out  *lockedWriter
	bufs *sync.Pool // the lines being encoded, shared by the derived handlers
	pre  []byte     // the attributes of WithAttrs, encoded, each followed by ','
	fast bool       // false once a WithGroup or a WithAttrs the fast path can't encode was applied
}

var _ slog.Handler = (*Handler)(nil)

// lockedWriter serializes the lines of a handler and of every handler
// derived from it, whichever path encoded them.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// New returns a Handler writing to w with opts, as
// slog.NewJSONHandler(w, opts) would. Options the fast path does not
// implement (ReplaceAttr, AddSource) send every record to slog's handler.
func New(w io.Writer, opts *slog.HandlerOptions) *Handler {
	if opts == nil {
		opts = &slog.HandlerOptions{}
	}
	out := &lockedWriter{w: w}
	bufs := &sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}
	return &Handler{std: slog.NewJSONHandler(out, opts), out: out, bufs: bufs,
		fast: opts.ReplaceAttr == nil && !opts.AddSource}
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.std.Enabled(ctx, l) }

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := &Handler{std: h.std.WithAttrs(attrs), out: h.out, bufs: h.bufs, fast: h.fast}
	if out.fast {
		pre := append([]byte(nil), h.pre...)
		for _, a := range attrs {
			var ok bool
			if pre, ok = appendAttr(pre, a); !ok {
				out.fast = false
				break
			}
			pre = append(pre, ',')
		}
		out.pre = pre
	}
	return out
}

// WithGroup implements slog.Handler: a group's lines are slog's.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{std: h.std.WithGroup(name), out: h.out, bufs: h.bufs}
}

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if !h.fast {
		return h.std.Handle(ctx, r)
	}
	p := h.bufs.Get().(*[]byte)
	defer func() {
		if cap(*p) <= 16<<10 {
			h.bufs.Put(p)
		}
	}()
	b, ok := h.encode((*p)[:0], r)
	*p = b
	if !ok {
		return h.std.Handle(ctx, r)
	}
	_, err := h.out.Write(b)
	return err
}

// encode appends r's line as slog.JSONHandler writes it; false when r has
// something only slog's handler encodes.
func (h *Handler) encode(b []byte, r slog.Record) ([]byte, bool) {
	b = append(b, '{')
	if !r.Time.IsZero() {
		t := r.Time.Round(0)
		if y := t.Year(); y < 0 || y >= 10000 {
			return b, false
		}
		b = append(b, `"time":"`...)
		b = t.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `",`...)
	}
	b = append(b, `"level":`...)
	b = appendString(b, r.Level.String())
	b = append(b, `,"msg":`...)
	b = appendString(b, r.Message)
	if len(h.pre) > 0 {
		b = append(b, ',')
		b = append(b, h.pre[:len(h.pre)-1]...)
	}
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		b = append(b, ',')
		b, ok = appendAttr(b, a)
		return ok
	})
	if !ok {
		return b, false
	}
	return append(b, '}', '\n'), true
}

// appendAttr appends a's "key":value; false for an attribute only
// slog's handler encodes (or drops: an empty key).
func appendAttr(b []byte, a slog.Attr) ([]byte, bool) {
	if a.Key == "" {
		return b, false
	}
	v := a.Value
	b = appendString(b, a.Key)
	b = append(b, ':')
	switch v.Kind() {
	case slog.KindString:
		return appendString(b, v.String()), true
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10), true
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10), true
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool()), true
	case slog.KindDuration:
		return strconv.AppendInt(b, int64(v.Duration()), 10), true
	case slog.KindFloat64:
		return appendFloat(b, v.Float64())
	}
	return b, false
}

// appendFloat appends f as encoding/json writes a float64 (which is what
// slog's handler calls); false for NaN and the infinities, which it
// refuses.
func appendFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// appendString appends s quoted and escaped as slog's JSON handler does
// (encoding/json's escaping without the HTML escapes).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hex = "0123456789abcdef"
