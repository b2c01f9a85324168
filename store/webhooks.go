package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// WebhookEndpoint is where and how a merchant's webhooks are sent.
type WebhookEndpoint struct {
	URL      string
	Disabled bool     // the endpoint answered 410 Gone and wasn't re-enabled
	Secrets  []string // whsec_ secrets that sign: the current one, then the previous one during a rotation's overlap
}

// WebhookEndpoint returns the merchant's webhook endpoint and signing
// secrets, ENOTFOUND, or ECONFIG without a master key.
func (db *DB) WebhookEndpoint(ctx context.Context, merchantID string) (WebhookEndpoint, error) {
	m, err := db.Merchant(ctx, merchantID)
	if err != nil {
		return WebhookEndpoint{}, err
	}
	var sealed []byte
	if err := db.read.QueryRowContext(ctx, `SELECT secrets FROM merchants WHERE id = ?`, merchantID).Scan(&sealed); err != nil {
		return WebhookEndpoint{}, fmt.Errorf("read webhook endpoint: %w", err)
	}
	s, err := db.openSecrets(sealed, merchantID)
	if err != nil {
		return WebhookEndpoint{}, fmt.Errorf("read webhook endpoint: %w", err)
	}
	ep := WebhookEndpoint{URL: m.WebhookURL, Disabled: m.WebhookDisabledAt != nil, Secrets: []string{s.WebhookSecret}}
	if s.PreviousWebhookSecret != "" && ms(db.Now()) < s.PreviousUntil {
		ep.Secrets = append(ep.Secrets, s.PreviousWebhookSecret)
	}
	return ep, nil
}

func (db *DB) openSecrets(sealed []byte, merchantID string) (merchantSecrets, error) {
	var s merchantSecrets
	plain, err := db.sealer.open(sealed, merchantID)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(plain, &s); err != nil {
		return s, fmt.Errorf("decode secrets: %w", err)
	}
	return s, nil
}

// RotateWebhookSecret gives the merchant a new whsec_ secret and keeps the
// current one signing too until now+overlap. It returns the new secret
// (shown once) and the end of the overlap; ENOTFOUND, or ECONFIG without a
// master key.
func (db *DB) RotateWebhookSecret(ctx context.Context, merchantID string, overlap time.Duration) (string, time.Time, error) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString(randomBytes(32))
	var until time.Time
	err := db.exec(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		until = now.Add(overlap)
		var sealed []byte
		err := tx.QueryRow(`SELECT secrets FROM merchants WHERE id = ?`, merchantID).Scan(&sealed)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "merchant not found")
		}
		if err != nil {
			return err
		}
		s, err := db.openSecrets(sealed, merchantID)
		if err != nil {
			return err
		}
		s.PreviousWebhookSecret, s.PreviousUntil, s.WebhookSecret = s.WebhookSecret, ms(until), secret
		plain, err := json.Marshal(s)
		if err != nil {
			return err
		}
		if sealed, err = db.sealer.seal(plain, merchantID); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE merchants SET secrets = ? WHERE id = ?`, sealed, merchantID)
		return err
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("rotate webhook secret: %w", err)
	}
	return secret, until, nil
}

// EnableWebhook re-enables a merchant's endpoint disabled by a 410 Gone,
// and makes the deliveries held meanwhile due now (each with a fresh retry
// schedule). It returns how many were released, or ENOTFOUND.
func (db *DB) EnableWebhook(ctx context.Context, merchantID string) (int64, error) {
	var n int64
	err := db.exec(ctx, func(tx *sql.Tx) error {
		now := ms(db.Now())
		res, err := tx.Exec(`UPDATE merchants SET webhook_disabled_at = NULL WHERE id = ?`, merchantID)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil {
			return err
		} else if k == 0 {
			return Errorf(ENOTFOUND, "merchant not found")
		}
		res, err = tx.Exec(`UPDATE deliveries SET status = ?, attempts = 0, next_attempt_at = ?, updated_at = ?
			WHERE merchant_id = ? AND status = ?`, DeliveryPending, now, now, merchantID, DeliveryDisabled)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("enable webhook: %w", err)
	}
	return n, nil
}
