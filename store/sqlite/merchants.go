package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

func errMerchantNotFound() error { return store.Errorf(store.ENOTFOUND, "merchant not found") }

// Merchant implements store.Reader.
func (b *Backend) Merchant(ctx context.Context, id string) (store.Merchant, error) {
	return b.merchantWhere(ctx, `id = ?`, id)
}

// MerchantByAPIKeyHash implements store.Reader.
func (b *Backend) MerchantByAPIKeyHash(ctx context.Context, hash []byte) (store.Merchant, error) {
	return b.merchantWhere(ctx, `api_key_hash = ?`, hash)
}

// MerchantByHookToken implements store.Reader.
func (b *Backend) MerchantByHookToken(ctx context.Context, token string) (store.Merchant, error) {
	return b.merchantWhere(ctx, `hook_token = ?`, token)
}

func (b *Backend) merchantWhere(ctx context.Context, where string, arg any) (store.Merchant, error) {
	row := b.read.QueryRowContext(ctx, `SELECT `+rowscan.MerchantColumns+` FROM merchants WHERE `+where, arg)
	m, err := rowscan.ScanMerchant(row)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Merchant{}, errMerchantNotFound()
	}
	if err != nil {
		return store.Merchant{}, fmt.Errorf("read merchant: %w", err)
	}
	return m, nil
}

// SealedSecrets implements store.Reader.
func (b *Backend) SealedSecrets(ctx context.Context, merchantID string) ([]byte, error) {
	return sealedSecrets(readConn{ctx, b.read}, merchantID)
}

func sealedSecrets(q queryRower, merchantID string) ([]byte, error) {
	var sealed []byte
	err := q.QueryRow(`SELECT secrets FROM merchants WHERE id = ?`, merchantID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errMerchantNotFound()
	}
	return sealed, err
}

// HasMerchants implements store.Reader.
func (b *Backend) HasMerchants(ctx context.Context) (bool, error) {
	var n int
	err := b.read.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM merchants LIMIT 1)`).Scan(&n)
	return n > 0, err
}

// InsertMerchant implements store.Tx.
func (t *tx) InsertMerchant(ctx context.Context, m store.Merchant, apiKeyHash, sealed []byte) error {
	r, err := rowscan.NewMerchantRow(m)
	if err != nil {
		return err
	}
	_, err = t.Exec(`INSERT INTO merchants (id, name, api_key_hash, hook_token, webhook_url, return_hosts,
		payunit_base_url, payunit_mode, azotte_base_url, secrets, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		m.ID, m.Name, apiKeyHash, m.HookToken, m.WebhookURL, r.ReturnHosts, r.PayUnitURL, r.PayUnitMode, r.AzotteURL, sealed, ms(m.CreatedAt))
	return err
}

// SealedSecretsForUpdate implements store.Tx.
func (t *tx) SealedSecretsForUpdate(ctx context.Context, merchantID string) ([]byte, error) {
	return sealedSecrets(t, merchantID)
}

// UpdateSealedSecrets implements store.Tx.
func (t *tx) UpdateSealedSecrets(ctx context.Context, merchantID string, sealed []byte) error {
	_, err := t.Exec(`UPDATE merchants SET secrets = ? WHERE id = ?`, sealed, merchantID)
	return err
}

// WebhookTarget implements store.Tx.
func (t *tx) WebhookTarget(ctx context.Context, merchantID string) (string, bool, error) {
	var url string
	var disabled sql.NullInt64
	err := t.QueryRow(`SELECT webhook_url, webhook_disabled_at FROM merchants WHERE id = ?`, merchantID).Scan(&url, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, errMerchantNotFound()
	}
	return url, disabled.Valid, err
}
