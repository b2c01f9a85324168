package store

import (
	"context"
	"time"
)

// The seam's part for merchants, their sealed secrets and their webhook endpoint.

// MerchantReader reads merchants outside any transaction.
type MerchantReader interface {
	// Merchant returns the merchant with id, or ENOTFOUND.
	Merchant(ctx context.Context, id string) (Merchant, error)
	// MerchantByAPIKeyHash returns the merchant whose API key hashes to
	// hash, or ENOTFOUND.
	MerchantByAPIKeyHash(ctx context.Context, hash []byte) (Merchant, error)
	// MerchantByHookToken returns the merchant whose callback URL carries
	// token, or ENOTFOUND.
	MerchantByHookToken(ctx context.Context, token string) (Merchant, error)
	// SealedSecrets returns the merchant's sealed secrets blob.
	SealedSecrets(ctx context.Context, merchantID string) ([]byte, error)
	// FirstSealedSecrets returns one merchant's id and sealed secrets (the
	// lowest id), or ENOTFOUND when there is no merchant.
	FirstSealedSecrets(ctx context.Context) (merchantID string, sealed []byte, err error)
	// HasMerchants reports whether any merchant is stored.
	HasMerchants(ctx context.Context) (bool, error)
}

// MerchantTx is what a write transaction does to merchants: creation,
// their sealed secrets and their webhook endpoint.
type MerchantTx interface {
	// InsertMerchant stores a new merchant with its API key's hash and its
	// sealed secrets; ErrDuplicate when the id or hook token is taken.
	InsertMerchant(ctx context.Context, m Merchant, apiKeyHash, sealed []byte) error
	// SealedSecretsForUpdate returns the merchant's sealed secrets, locked, or ENOTFOUND.
	SealedSecretsForUpdate(ctx context.Context, merchantID string) ([]byte, error)
	// UpdateSealedSecrets replaces the merchant's sealed secrets.
	UpdateSealedSecrets(ctx context.Context, merchantID string, sealed []byte) error
	// WebhookTarget returns the merchant's webhook URL and whether the
	// endpoint is disabled, or ENOTFOUND. The merchant row is locked for
	// share until the transaction ends, so an enable or disable of the
	// endpoint (which update that row first) can't commit between this read
	// and what the transaction writes from it (a delivery held or not).
	WebhookTarget(ctx context.Context, merchantID string) (url string, disabled bool, err error)
	// DisableEndpoint marks the merchant's endpoint disabled (keeping the
	// first time) and holds its pending deliveries that aren't leased.
	DisableEndpoint(ctx context.Context, merchantID string, now time.Time) error
	// EnableEndpoint clears the disabled mark and makes every held
	// delivery pending and due at now with a fresh schedule. It returns
	// how many were released, or ENOTFOUND for an unknown merchant.
	EnableEndpoint(ctx context.Context, merchantID string, now time.Time) (int64, error)
}
