package postgres

import (
	"context"
	"fmt"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

func errMerchantNotFound() error { return store.Errorf(store.ENOTFOUND, "merchant not found") }

// Merchant implements store.Reader.
func (b *Backend) Merchant(ctx context.Context, id string) (store.Merchant, error) {
	return b.merchantWhere(ctx, `id = $1`, id)
}

// MerchantByAPIKeyHash implements store.Reader.
func (b *Backend) MerchantByAPIKeyHash(ctx context.Context, hash []byte) (store.Merchant, error) {
	return b.merchantWhere(ctx, `api_key_hash = $1`, hash)
}

// MerchantByHookToken implements store.Reader.
func (b *Backend) MerchantByHookToken(ctx context.Context, token string) (store.Merchant, error) {
	return b.merchantWhere(ctx, `hook_token = $1`, token)
}

func (b *Backend) merchantWhere(ctx context.Context, where string, arg any) (store.Merchant, error) {
	m, err := rowscan.ScanMerchant(b.pool.QueryRow(ctx, `SELECT `+rowscan.MerchantColumns+` FROM merchants WHERE `+where, arg))
	if isNoRows(err) {
		return store.Merchant{}, errMerchantNotFound()
	}
	if err != nil {
		return store.Merchant{}, fmt.Errorf("read merchant: %w", err)
	}
	return m, nil
}

// SealedSecrets implements store.Reader.
func (b *Backend) SealedSecrets(ctx context.Context, merchantID string) ([]byte, error) {
	return sealedSecrets(ctx, b.pool, `SELECT secrets FROM merchants WHERE id = $1`, merchantID)
}

func sealedSecrets(ctx context.Context, q queryRower, sql, merchantID string) ([]byte, error) {
	var sealed []byte
	err := q.QueryRow(ctx, sql, merchantID).Scan(&sealed)
	if isNoRows(err) {
		return nil, errMerchantNotFound()
	}
	return sealed, err
}

// HasMerchants implements store.Reader.
func (b *Backend) HasMerchants(ctx context.Context) (bool, error) {
	var has bool
	err := b.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM merchants)`).Scan(&has)
	return has, err
}

// InsertMerchant implements store.Tx.
func (t *tx) InsertMerchant(ctx context.Context, m store.Merchant, apiKeyHash, sealed []byte) error {
	r, err := rowscan.NewMerchantRow(m)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO merchants (id, name, api_key_hash, hook_token, webhook_url, return_hosts,
		payunit_base_url, payunit_mode, azotte_base_url, secrets, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
		m.ID, m.Name, apiKeyHash, m.HookToken, m.WebhookURL, r.ReturnHosts, r.PayUnitURL, r.PayUnitMode, r.AzotteURL, sealed, ms(m.CreatedAt))
	return err
}

// SealedSecretsForUpdate implements store.Tx.
func (t *tx) SealedSecretsForUpdate(ctx context.Context, merchantID string) ([]byte, error) {
	return sealedSecrets(ctx, t, `SELECT secrets FROM merchants WHERE id = $1 FOR UPDATE`, merchantID)
}

// UpdateSealedSecrets implements store.Tx.
func (t *tx) UpdateSealedSecrets(ctx context.Context, merchantID string, sealed []byte) error {
	_, err := t.exec(`UPDATE merchants SET secrets = $1 WHERE id = $2`, sealed, merchantID)
	return err
}

// WebhookTarget implements store.Tx.
func (t *tx) WebhookTarget(ctx context.Context, merchantID string) (string, bool, error) {
	var url string
	var disabled *int64
	err := t.QueryRow(t.ctx, `SELECT webhook_url, webhook_disabled_at FROM merchants WHERE id = $1 FOR SHARE`, merchantID).Scan(&url, &disabled)
	if isNoRows(err) {
		return "", false, errMerchantNotFound()
	}
	return url, disabled != nil, err
}
