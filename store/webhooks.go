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
	Disabled bool // the endpoint answered 410 Gone and wasn't re-enabled
	// Secrets are the whsec_ secrets that sign: the current one, then
	// every one a rotation replaced whose overlap hasn't ended, newest
	// first.
	Secrets []string
}

// retiredSecret is a webhook secret a rotation replaced, signing until
// Until (unix ms), the end of the overlap that rotation promised.
type retiredSecret struct {
	Secret string `json:"secret"`
	Until  int64  `json:"until"`
}

// maxRetiredSecrets bounds the secrets that sign besides the current one:
// a rotation that would need more, within the overlaps promised, is
// refused (ELIMIT) rather than cut a promise short.
const maxRetiredSecrets = 8

// retired returns s's replaced secrets still signing at now (unix ms),
// newest first, the pre-list previous secret included.
func (s merchantSecrets) retired(now int64) []retiredSecret {
	var out []retiredSecret
	for _, r := range s.Retired {
		if now < r.Until {
			out = append(out, r)
		}
	}
	if s.PreviousWebhookSecret != "" && now < s.PreviousUntil && len(s.Retired) == 0 {
		out = append(out, retiredSecret{Secret: s.PreviousWebhookSecret, Until: s.PreviousUntil})
	}
	return out
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
	for _, r := range s.retired(db.Now().UnixMilli()) {
		ep.Secrets = append(ep.Secrets, r.Secret)
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
// current one signing too until now+overlap; every secret an earlier
// rotation replaced keeps signing until the end of the overlap that
// rotation promised (a second rotation within the overlap doesn't cut the
// first's short). It returns the new secret (shown once) and the end of
// the overlap; ENOTFOUND, ECONFIG without a master key, or ELIMIT when
// maxRetiredSecrets replaced secrets are still within their overlaps.
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
		kept := s.retired(db.Now().UnixMilli())
		if len(kept) >= maxRetiredSecrets {
			e := Errorf(ELIMIT, "%d replaced webhook secrets still sign within the overlaps their rotations promised; rotate again when the oldest ends", len(kept))
			e.RetryAfter = time.UnixMilli(kept[len(kept)-1].Until).Sub(db.Now())
			return e
		}
		s.Retired = append([]retiredSecret{{Secret: s.WebhookSecret, Until: until.UnixMilli()}}, kept...)
		s.PreviousWebhookSecret, s.PreviousUntil, s.WebhookSecret = "", 0, secret
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
