package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/apiview"
	"github.com/paysync/paysync/store"
)

// WebhookStore is what the webhook routes need of *store.DB.
type WebhookStore interface {
	Deliveries(ctx context.Context, merchantID string, f store.DeliveryFilter) ([]store.Delivery, error)
	Redeliver(ctx context.Context, merchantID, id string) (store.Delivery, error)
	RotateWebhookSecret(ctx context.Context, merchantID string, overlap time.Duration) (string, time.Time, error)
	EnableWebhook(ctx context.Context, merchantID string) (int64, error)
}

// secretOverlap is how long the previous webhook secret keeps signing after a rotation.
const secretOverlap = 24 * time.Hour

// deliveryJSON is one webhook delivery of GET /v1/deliveries.
type deliveryJSON struct {
	ID            string          `json:"id"` // the webhook-id header of every attempt
	CheckoutID    string          `json:"checkout_id"`
	Type          string          `json:"type"`
	Version       int64           `json:"version"`
	Status        string          `json:"status"`
	NextAttemptAt *apiview.Time   `json:"next_attempt_at"`
	Payload       json.RawMessage `json:"payload"` // the body as sent; null before the first attempt
	Attempts      []attemptJSON   `json:"attempts"`
	CreatedAt     apiview.Time    `json:"created_at"`
	UpdatedAt     apiview.Time    `json:"updated_at"`
}

type attemptJSON struct {
	At         apiview.Time `json:"at"`
	URL        string       `json:"url"`
	StatusCode *int         `json:"status_code"`
	Error      *string      `json:"error"`
	LatencyMS  int64        `json:"latency_ms"`
	Response   string       `json:"response"`
}

func deliveryView(d store.Delivery) deliveryJSON {
	out := deliveryJSON{ID: d.ID, CheckoutID: d.CheckoutID, Type: d.Type, Version: d.Version, Status: d.Status,
		NextAttemptAt: apiview.UTC(d.NextAttemptAt), CreatedAt: apiview.At(d.CreatedAt), UpdatedAt: apiview.At(d.UpdatedAt),
		Attempts: make([]attemptJSON, len(d.History))}
	if d.Body != nil {
		out.Payload = d.Body
	}
	for i, a := range d.History {
		aj := attemptJSON{At: apiview.At(a.At), URL: a.URL, Error: nullable(a.Error), LatencyMS: a.Latency.Milliseconds(), Response: a.Response}
		if a.StatusCode != 0 {
			aj.StatusCode = &a.StatusCode
		}
		out.Attempts[i] = aj
	}
	return out
}

// listDeliveries handles GET /v1/deliveries?checkout_id=&limit=: the
// merchant's webhook deliveries, newest first, with their attempts.
func (s *server) listDeliveries(c echo.Context) error {
	f := store.DeliveryFilter{CheckoutID: c.QueryParam("checkout_id")}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return invalid(fieldError{"limit", "must be an integer from 1 to 200"})
		}
		f.Limit = n
	}
	ds, err := s.cfg.Store.Deliveries(c.Request().Context(), merchantOf(c).ID, f)
	if err != nil {
		return err
	}
	out := make([]deliveryJSON, len(ds))
	for i, d := range ds {
		out[i] = deliveryView(d)
	}
	return c.JSON(http.StatusOK, struct {
		Data []deliveryJSON `json:"data"`
	}{out})
}

// redeliver handles POST /v1/deliveries/:id/redeliver: 202, the delivery
// due now with the same webhook-id and body and a fresh retry schedule.
func (s *server) redeliver(c echo.Context) error {
	d, err := s.cfg.Store.Redeliver(c.Request().Context(), merchantOf(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	s.cfg.Webhooks.Wake()
	return c.JSON(http.StatusAccepted, deliveryView(d))
}

// rotateWebhookSecret handles POST /admin/v1/merchants/:id/webhook-secret/rotate:
// the new secret, shown this once; the previous one keeps signing (a second
// signature) until previous_valid_until.
func (s *server) rotateWebhookSecret(c echo.Context) error {
	secret, until, err := s.cfg.Store.RotateWebhookSecret(c.Request().Context(), c.Param("id"), secretOverlap)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"webhook_secret": secret, "previous_valid_until": apiview.At(until)})
}

// enableWebhook handles POST /admin/v1/merchants/:id/webhook/enable: an
// endpoint disabled by a 410 Gone takes webhooks again, and those held
// meanwhile go out now.
func (s *server) enableWebhook(c echo.Context) error {
	n, err := s.cfg.Store.EnableWebhook(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	s.cfg.Webhooks.Wake()
	return c.JSON(http.StatusOK, map[string]any{"released": n})
}
