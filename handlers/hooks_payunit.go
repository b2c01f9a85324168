package handlers

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/providers"
	"github.com/paysync/paysync/store"
)

// providerHook handles POST /hooks/{provider}/:token, the notify URL of a
// provider that sends callbacks (PayUnit's notify_url), parsed by its
// Descriptor's ParseCallback. The callback is a hint, never a verdict: it
// is stored durably by store.DB.AcceptNotification, the one way in for a
// callback (it returns after the commit: in the inbox when it names a
// registered checkout, recorded whole otherwise), its checkout becomes due
// for a status check and the poller is woken (by the inbox's drain, just
// after); then 200 {"received": true}. Unknown token →
// 404, body over 64 KiB → 413, unparsable or unidentifiable body → 400,
// store failure → 500 so PayUnit retries.
func (s *server) providerHook(c echo.Context, p providers.Provider) error {
	ctx := c.Request().Context()
	m, err := s.auth.get(ctx, "hook_token", c.Param("token"), s.cfg.Store.MerchantByHookToken)
	if store.ErrorCode(err) == store.ENOTFOUND {
		return notFound("unknown notification URL")
	}
	if err != nil {
		return fmt.Errorf("find hook merchant: %w", err)
	}
	req := c.Request()
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, hookBodyLimit))
	if err != nil {
		return fmt.Errorf("read callback: %w", err)
	}
	contentType := req.Header.Get(echo.HeaderContentType)
	n, err := p.ParseCallback(contentType, body, req.URL.Query())
	if err != nil {
		return hookParseError(err)
	}
	notif := store.Notification{
		MerchantID: m.ID, Provider: p.Name, TransactionID: n.TransactionID,
		ProviderCheckoutID: n.CheckoutID, Status: n.Status, ContentType: contentType,
		Query: req.URL.RawQuery, Body: body,
	}
	acc, err := s.cfg.Store.AcceptNotification(ctx, notif)
	if err != nil {
		return fmt.Errorf("record %s callback: %w", p.Name, err)
	}
	if acc.Queued { // it names a registered checkout
		s.metrics.callbacks.WithLabelValues(p.Name, "false").Inc()
		s.cfg.Inbox.Wake()
	} else {
		s.metrics.callbacks.WithLabelValues(p.Name, strconv.FormatBool(acc.Recorded.CheckoutID == "")).Inc()
		if acc.Recorded.Woke { // a callback for a settled checkout has nothing to check
			s.cfg.Waker.Wake()
		}
	}
	return c.JSONBlob(http.StatusOK, []byte(receivedJSON))
}

// receivedJSON is every acknowledgement's body, encoded once.
const receivedJSON = `{"received":true}` + "\n"

// hookParseError turns a ParseCallback error into a 400 problem.
func hookParseError(err error) error {
	switch {
	case errors.Is(err, plugin.ErrNoIdentifier):
		return badRequest("the callback names no checkout: expected transaction_id or checkout_id " +
			"at the top level, under data, or in the query string")
	case errors.Is(err, plugin.ErrMalformed):
		return badRequest("the callback body is neither a JSON object nor a form")
	}
	return fmt.Errorf("parse callback: %w", err)
}
