package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
)

// NewMerchant is what CreateMerchant needs. Credentials in the account blocks
// are sealed under the master key; the rest is stored in clear.
type NewMerchant struct {
	Name        string
	WebhookURL  string
	ReturnHosts []string
	PayUnit     *PayUnitAccount
	Azotte      *AzotteAccount
}

// CreatedMerchant is a new merchant with the secrets shown only once.
type CreatedMerchant struct {
	Merchant
	APIKey        string
	WebhookSecret string
}

// merchantSecrets is the sealed part of a merchant row.
type merchantSecrets struct {
	WebhookSecret string `json:"webhook_secret"`
	// The secret a rotation replaced, still signing until PreviousUntil
	// (unix ms): as versions before retired_webhook_secrets sealed it;
	// read into Retired, never written.
	PreviousWebhookSecret string `json:"previous_webhook_secret,omitempty"`
	PreviousUntil         int64  `json:"previous_until,omitempty"`
	// Retired are the secrets rotations replaced, each still signing until
	// the end of the overlap its rotation promised, newest first.
	Retired []retiredSecret `json:"retired_webhook_secrets,omitempty"`
	PayUnit *PayUnitAccount `json:"payunit,omitempty"`
	Azotte  *AzotteAccount  `json:"azotte,omitempty"`
}

// CreateMerchant stores a merchant with a fresh API key (kept hashed), hook
// token and Standard Webhooks secret. It fails with ECONFIG without a master key.
func (db *DB) CreateMerchant(ctx context.Context, in NewMerchant) (CreatedMerchant, error) {
	now := db.Now()
	m := CreatedMerchant{
		Merchant: Merchant{
			ID: "mer_" + uuid.NewString(), Name: in.Name, HookToken: randomToken(24),
			WebhookURL: in.WebhookURL, ReturnHosts: in.ReturnHosts, CreatedAt: now,
			PayUnit: in.PayUnit, Azotte: in.Azotte,
		},
		APIKey:        "psk_" + randomToken(32),
		WebhookSecret: "whsec_" + base64.StdEncoding.EncodeToString(randomBytes(32)),
	}
	if m.ReturnHosts == nil {
		m.ReturnHosts = []string{}
	}
	plain, err := json.Marshal(merchantSecrets{WebhookSecret: m.WebhookSecret, PayUnit: in.PayUnit, Azotte: in.Azotte})
	if err != nil {
		return CreatedMerchant{}, fmt.Errorf("create merchant: %w", err)
	}
	sealed, err := db.sealer.seal(plain, m.ID)
	if err != nil {
		return CreatedMerchant{}, fmt.Errorf("create merchant: %w", err)
	}
	row := m.Merchant
	row.PayUnit, row.Azotte = publicAccounts(in.PayUnit, in.Azotte)
	err = db.write(ctx, func(tx Tx) error { return tx.InsertMerchant(ctx, row, hashKey(m.APIKey), sealed) })
	if err != nil {
		return CreatedMerchant{}, fmt.Errorf("create merchant: %w", err)
	}
	m.PayUnit, m.Azotte = publicAccounts(in.PayUnit, in.Azotte)
	return m, nil
}

// publicAccounts strips credentials from the account blocks.
func publicAccounts(pu *PayUnitAccount, az *AzotteAccount) (*PayUnitAccount, *AzotteAccount) {
	if pu != nil {
		pu = &PayUnitAccount{BaseURL: pu.BaseURL, Mode: pu.Mode}
	}
	if az != nil {
		az = &AzotteAccount{BaseURL: az.BaseURL}
	}
	return pu, az
}

// Merchant returns the merchant with the given id, without secrets, or ENOTFOUND.
func (db *DB) Merchant(ctx context.Context, id string) (Merchant, error) {
	return db.b.Merchant(ctx, id)
}

// MerchantByAPIKey returns the merchant owning the API key, or ENOTFOUND.
func (db *DB) MerchantByAPIKey(ctx context.Context, key string) (Merchant, error) {
	return db.b.MerchantByAPIKeyHash(ctx, hashKey(key))
}

// MerchantByHookToken returns the merchant whose notify URL carries token, or ENOTFOUND.
func (db *DB) MerchantByHookToken(ctx context.Context, token string) (Merchant, error) {
	return db.b.MerchantByHookToken(ctx, token)
}

// MerchantSecrets returns the merchant with its provider credentials filled
// in, and its webhook secret. It fails with ECONFIG without a master key.
func (db *DB) MerchantSecrets(ctx context.Context, id string) (Merchant, string, error) {
	m, err := db.Merchant(ctx, id)
	if err != nil {
		return Merchant{}, "", err
	}
	sealed, err := db.b.SealedSecrets(ctx, id)
	if err != nil {
		return Merchant{}, "", fmt.Errorf("read merchant secrets: %w", err)
	}
	s, err := db.openSecrets(sealed, id)
	if err != nil {
		return Merchant{}, "", fmt.Errorf("read merchant secrets: %w", err)
	}
	m.PayUnit, m.Azotte = s.PayUnit, s.Azotte
	return m, s.WebhookSecret, nil
}

// HasMerchants reports whether any merchant exists (serve needs the master
// key once one does).
func (db *DB) HasMerchants(ctx context.Context) (bool, error) {
	has, err := db.b.HasMerchants(ctx)
	if err != nil {
		return false, fmt.Errorf("count merchants: %w", err)
	}
	return has, nil
}
