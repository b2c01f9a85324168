// Package sse writes Server-Sent Events, and follows a checkout on the
// store's change feed as a stream of them: the one loop behind the API's
// GET /v1/checkouts/{id}/stream and the console's live timeline.
package sse

import (
	"context"
	"net/http"
	"time"

	"github.com/paysync/paysync/store"
)

// Stream writes the events of one response. Each write is flushed at once
// and given its own write deadline, so that a stream outlives the server's
// WriteTimeout.
type Stream struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	grace time.Duration
}

// Open sets the headers of an event stream on w (its Content-Type, and
// X-Accel-Buffering so that nginx does not buffer it), keeping any the
// caller set before, sends them with 200 OK and returns the stream. Each
// later write has grace to reach the client.
func Open(w http.ResponseWriter, grace time.Duration) *Stream {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return &Stream{w: w, rc: http.NewResponseController(w), grace: grace}
}

// Event writes one event: an "id:" line unless id is "", then the
// "event:" and "data:" lines. data must be one line.
func (s *Stream) Event(id, event, data string) error {
	frame := "event: " + event + "\ndata: " + data + "\n\n"
	if id != "" {
		frame = "id: " + id + "\n" + frame
	}
	return s.write(frame)
}

// Comment writes a comment line, which EventSource ignores.
func (s *Stream) Comment(text string) error {
	return s.write(": " + text + "\n\n")
}

func (s *Stream) write(frame string) error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.grace)) // http.ErrNotSupported: no deadline to move
	if _, err := s.w.Write([]byte(frame)); err != nil {
		return err
	}
	return s.rc.Flush()
}

// Follow writes what the checkout of sub becomes after version seen: each
// newer snapshot goes to send (coalesced to the newest when changes come
// faster than the client reads), and a "heartbeat" comment every
// heartbeat in between, so that proxies keep the connection. It returns
// when send reports the last event or fails, when a write fails, when ctx
// ends (the client left) and when the feed closes (shutdown: the client
// reconnects).
func (s *Stream) Follow(ctx context.Context, sub *store.Subscription, seen int64, heartbeat time.Duration, send func(store.Checkout) (last bool, err error)) {
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-sub.Changed():
			next, ok := sub.Latest()
			if !ok || next.Version <= seen {
				continue
			}
			if last, err := send(next); err != nil || last {
				return
			}
			seen = next.Version
		case <-beat.C:
			if s.Comment("heartbeat") != nil {
				return
			}
		case <-ctx.Done():
			return
		case <-sub.Done():
			return
		}
	}
}
