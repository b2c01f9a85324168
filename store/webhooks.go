package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
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
	sealed, err := db.b.SealedSecrets(ctx, merchantID)
	if err != nil {
		return WebhookEndpoint{}, fmt.Errorf("read webhook endpoint: %w", err)
	}
	s, err := db.openSecrets(sealed, merchantID)
	if err != nil {
		return WebhookEndpoint{}, fmt.Errorf("read webhook endpoint: %w", err)
	}
	ep := WebhookEndpoint{URL: m.WebhookURL, Disabled: m.WebhookDisabledAt != nil, Secrets: []string{s.WebhookSecret}}
	if s.PreviousWebhookSecret != "" && db.Now().UnixMilli() < s.PreviousUntil {
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
//
// Invariant: the sealed secrets are read locked (SealedSecretsForUpdate)
// in the transaction that writes them back, so two rotations at once chain
// (the second keeps the first's secret as the previous one) instead of one
// losing the other's.
func (db *DB) RotateWebhookSecret(ctx context.Context, merchantID string, overlap time.Duration) (string, time.Time, error) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString(randomBytes(32))
	var until time.Time
	err := db.write(ctx, func(tx Tx) error {
		until = db.Now().Add(overlap)
		sealed, err := tx.SealedSecretsForUpdate(ctx, merchantID)
		if err != nil {
			return err
		}
		s, err := db.openSecrets(sealed, merchantID)
		if err != nil {
			return err
		}
		s.PreviousWebhookSecret, s.PreviousUntil, s.WebhookSecret = s.WebhookSecret, until.UnixMilli(), secret
		plain, err := json.Marshal(s)
		if err != nil {
			return err
		}
		if sealed, err = db.sealer.seal(plain, merchantID); err != nil {
			return err
		}
		return tx.UpdateSealedSecrets(ctx, merchantID, sealed)
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
	err := db.write(ctx, func(tx Tx) error {
		var err error
		n, err = tx.EnableEndpoint(ctx, merchantID, db.Now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("enable webhook: %w", err)
	}
	return n, nil
}
