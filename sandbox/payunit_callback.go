package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// callbackBody is the notification PayUnit posts to a payment's notify_url.
type callbackBody struct {
	TransactionID     string      `json:"transaction_id"`
	CheckoutID        string      `json:"checkout_id"`
	Status            string      `json:"status"`
	Amount            json.Number `json:"amount"`
	Currency          string      `json:"currency"`
	TransactionAmount json.Number `json:"transaction_amount"`
}

// SendCallback posts a JSON callback carrying status to the payment's
// notify_url, whatever the status API says (a forged or early callback).
// It returns ErrNotFound, the POST's error, or ErrCallbackStatus for a
// non-2xx answer.
func (p *PayUnit) SendCallback(ctx context.Context, checkoutID, status string) error {
	cb, notifyURL, err := p.callback(checkoutID, status)
	if err != nil {
		return err
	}
	body, err := json.Marshal(cb)
	if err != nil {
		return fmt.Errorf("encode callback: %w", err)
	}
	return p.post(ctx, notifyURL, "application/json", body)
}

// SendFormCallback is SendCallback with the same fields posted as
// application/x-www-form-urlencoded.
func (p *PayUnit) SendFormCallback(ctx context.Context, checkoutID, status string) error {
	cb, notifyURL, err := p.callback(checkoutID, status)
	if err != nil {
		return err
	}
	form := url.Values{
		"transaction_id":     {cb.TransactionID},
		"checkout_id":        {cb.CheckoutID},
		"status":             {cb.Status},
		"amount":             {cb.Amount.String()},
		"currency":           {cb.Currency},
		"transaction_amount": {cb.TransactionAmount.String()},
	}
	return p.post(ctx, notifyURL, "application/x-www-form-urlencoded", []byte(form.Encode()))
}

// callback snapshots the callback fields of a payment and its notify_url.
func (p *PayUnit) callback(checkoutID, status string) (callbackBody, string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pay, ok := p.payments[checkoutID]
	if !ok {
		return callbackBody{}, "", fmt.Errorf("send callback for %s: %w", checkoutID, ErrNotFound)
	}
	return callbackBody{
		TransactionID:     pay.TransactionID,
		CheckoutID:        pay.checkoutID,
		Status:            status,
		Amount:            json.Number(pay.Amount),
		Currency:          pay.Currency,
		TransactionAmount: json.Number(pay.Amount),
	}, pay.NotifyURL, nil
}

// post sends body to notifyURL and drains a bounded part of the answer.
func (p *PayUnit) post(ctx context.Context, notifyURL, contentType string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, notifyURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build callback request: %w", err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := p.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("post callback: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post callback to %s: %w: %d", notifyURL, ErrCallbackStatus, resp.StatusCode)
	}
	return nil
}
