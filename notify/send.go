package notify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/paysync/paysync/apiview"
	"github.com/paysync/paysync/netguard"
	"github.com/paysync/paysync/store"
)

// responseKept is how much of an endpoint's answer an attempt records.
const responseKept = 1 << 10

// attempt sends one claimed delivery and hands what happened to the
// recorder, unless its endpoint holds its share of the slots (acquire).
// Its slot is free again as soon as the endpoint answered: the outcome is
// written with the others' (recorder).
func (d *Dispatcher) attempt(ctx context.Context, dl store.Delivery) {
	if !d.acquire(ctx, dl) {
		return
	}
	log := d.cfg.Logger.With("delivery_id", dl.ID, "checkout_id", dl.CheckoutID, "type", dl.Type)
	res, err := d.send(ctx, dl)
	if err != nil {
		if ctx.Err() == nil {
			log.Error("webhook attempt", "err", err)
		}
		return // the lease brings it back
	}
	d.recorder.add(ctx, res)
	outcome := outcomeRetry
	switch res.Status {
	case store.DeliveryDelivered:
		outcome = outcomeDelivered
	case store.DeliveryFailed:
		outcome = outcomeFailed
	case store.DeliveryDisabled:
		outcome = outcomeDisabled
	}
	d.metrics.deliveries.WithLabelValues(outcome).Inc()
	if a := res.Attempt; a != nil {
		log.Info("webhook attempt", "outcome", outcome, "status", a.StatusCode, "error", a.Error, "latency_ms", a.Latency.Milliseconds())
	}
}

// send is try within the endpoint's slot acquire took: the slot is given
// back, and the attempt's time joins the endpoint's latency, as soon as
// the endpoint answered.
func (d *Dispatcher) send(ctx context.Context, dl store.Delivery) (store.AttemptResult, error) {
	defer func() { d.slots.release(dl.MerchantID, dl.ID, time.Now()) }()
	return d.try(ctx, dl)
}

// try posts dl to its merchant's endpoint and decides the outcome. An
// error means nothing is to be recorded (shutting down, store trouble).
func (d *Dispatcher) try(ctx context.Context, dl store.Delivery) (store.AttemptResult, error) {
	res := store.AttemptResult{DeliveryID: dl.ID, ClaimSeq: dl.ClaimSeq}
	ep, err := d.store.WebhookEndpoint(ctx, dl.MerchantID)
	if err != nil {
		return res, err
	}
	switch {
	case ep.Disabled:
		res.Status = store.DeliveryDisabled // held until the endpoint is re-enabled
		return res, nil
	case ep.URL == "":
		res.Status = store.DeliveryFailed // the merchant has no endpoint any more
		return res, nil
	}
	body := dl.Body
	if body == nil {
		if body, err = apiview.WebhookBody(dl, d.cfg.PublicURL); err != nil {
			return res, err
		}
	}
	res.Body = body
	now := d.cfg.Now()
	sig, err := Sign(ep.Secrets, dl.ID, now, body)
	if err != nil {
		return res, err
	}
	status, retryAfter, a := d.post(ctx, ep.URL, dl.ID, now, sig, body)
	if ctx.Err() != nil {
		return res, ctx.Err() // cut short by shutdown: not an attempt the endpoint should be blamed for
	}
	res.Attempt = &a
	done := dl.Attempts + 1
	switch {
	case status >= 200 && status < 300:
		res.Status = store.DeliveryDelivered
	case status == http.StatusGone:
		res.Status, res.Disable = store.DeliveryDisabled, true
	default:
		next, ok := nextAttempt(d.cfg.Now(), done, retryAfter, d.cfg.Jitter())
		if !ok {
			res.Status = store.DeliveryFailed
			break
		}
		res.Status, res.NextAt = store.DeliveryPending, &next
	}
	return res, nil
}

// post makes one signed POST. It returns the HTTP status (0 without an
// answer), the Retry-After of a 429 or 503, and the attempt's record.
func (d *Dispatcher) post(ctx context.Context, endpoint, id string, ts time.Time, sig string, body []byte) (int, time.Duration, store.DeliveryAttempt) {
	a := store.DeliveryAttempt{At: ts, URL: endpoint}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		a.Error = "invalid_url"
		return 0, 0, a
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		a.Error = "invalid_url"
		return 0, 0, a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "paysync-webhooks/1")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	start := time.Now() // latency is wall time, whatever the injected clock says
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		a.Latency, a.Error = time.Since(start), errorClass(err)
		return 0, 0, a
	}
	defer resp.Body.Close()
	kept, _ := io.ReadAll(io.LimitReader(resp.Body, responseKept))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	a.Latency, a.StatusCode, a.Response = time.Since(start), resp.StatusCode, string(kept)
	var retryAfter time.Duration
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), d.cfg.Now())
	}
	return resp.StatusCode, retryAfter, a
}

// errorClass names why an attempt got no answer, without internal detail.
func errorClass(err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, netguard.ErrPrivateAddress):
		return "address_refused"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.As(err, &dnsErr):
		return "dns"
	}
	return "connection"
}

// parseRetryAfter reads a Retry-After header, in seconds or as an HTTP
// date; 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
