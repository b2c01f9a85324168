package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
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
	// The secret a rotation replaced, still signing until PreviousUntil (unix ms).
	PreviousWebhookSecret string          `json:"previous_webhook_secret,omitempty"`
	PreviousUntil         int64           `json:"previous_until,omitempty"`
	PayUnit               *PayUnitAccount `json:"payunit,omitempty"`
	Azotte                *AzotteAccount  `json:"azotte,omitempty"`
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
	hosts, _ := json.Marshal(m.ReturnHosts)
	var puURL, puMode, azURL string
	if in.PayUnit != nil {
		puURL, puMode = in.PayUnit.BaseURL, in.PayUnit.Mode
	}
	if in.Azotte != nil {
		azURL = in.Azotte.BaseURL
	}
	err = db.exec(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO merchants (id, name, api_key_hash, hook_token, webhook_url, return_hosts,
			payunit_base_url, payunit_mode, azotte_base_url, secrets, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
			m.ID, m.Name, hashKey(m.APIKey), m.HookToken, m.WebhookURL, string(hosts), puURL, puMode, azURL, sealed, ms(now))
		return err
	})
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

const merchantColumns = `id, name, hook_token, webhook_url, return_hosts, payunit_base_url, payunit_mode, azotte_base_url, created_at, webhook_disabled_at`

// Merchant returns the merchant with the given id, without secrets, or ENOTFOUND.
func (db *DB) Merchant(ctx context.Context, id string) (Merchant, error) {
	return db.merchantWhere(ctx, `id = ?`, id)
}

// MerchantByAPIKey returns the merchant owning the API key, or ENOTFOUND.
func (db *DB) MerchantByAPIKey(ctx context.Context, key string) (Merchant, error) {
	return db.merchantWhere(ctx, `api_key_hash = ?`, hashKey(key))
}

// MerchantByHookToken returns the merchant whose notify URL carries token, or ENOTFOUND.
func (db *DB) MerchantByHookToken(ctx context.Context, token string) (Merchant, error) {
	return db.merchantWhere(ctx, `hook_token = ?`, token)
}

func (db *DB) merchantWhere(ctx context.Context, where string, arg any) (Merchant, error) {
	row := db.read.QueryRowContext(ctx, `SELECT `+merchantColumns+` FROM merchants WHERE `+where, arg)
	m, err := scanMerchant(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Merchant{}, Errorf(ENOTFOUND, "merchant not found")
	}
	if err != nil {
		return Merchant{}, fmt.Errorf("read merchant: %w", err)
	}
	return m, nil
}

func scanMerchant(row interface{ Scan(...any) error }) (Merchant, error) {
	var m Merchant
	var hosts, puURL, puMode, azURL string
	var created int64
	var disabled sql.NullInt64
	if err := row.Scan(&m.ID, &m.Name, &m.HookToken, &m.WebhookURL, &hosts, &puURL, &puMode, &azURL, &created, &disabled); err != nil {
		return Merchant{}, err
	}
	if err := json.Unmarshal([]byte(hosts), &m.ReturnHosts); err != nil {
		return Merchant{}, fmt.Errorf("return_hosts: %w", err)
	}
	if puURL != "" {
		m.PayUnit = &PayUnitAccount{BaseURL: puURL, Mode: puMode}
	}
	if azURL != "" {
		m.Azotte = &AzotteAccount{BaseURL: azURL}
	}
	m.CreatedAt = fromMS(created)
	m.WebhookDisabledAt = timePtr(disabled)
	return m, nil
}

// MerchantSecrets returns the merchant with its provider credentials filled
// in, and its webhook secret. It fails with ECONFIG without a master key.
func (db *DB) MerchantSecrets(ctx context.Context, id string) (Merchant, string, error) {
	m, err := db.Merchant(ctx, id)
	if err != nil {
		return Merchant{}, "", err
	}
	var sealed []byte
	if err := db.read.QueryRowContext(ctx, `SELECT secrets FROM merchants WHERE id = ?`, id).Scan(&sealed); err != nil {
		return Merchant{}, "", fmt.Errorf("read merchant secrets: %w", err)
	}
	plain, err := db.sealer.open(sealed, id)
	if err != nil {
		return Merchant{}, "", fmt.Errorf("read merchant secrets: %w", err)
	}
	var s merchantSecrets
	if err := json.Unmarshal(plain, &s); err != nil {
		return Merchant{}, "", fmt.Errorf("read merchant secrets: %w", err)
	}
	m.PayUnit, m.Azotte = s.PayUnit, s.Azotte
	return m, s.WebhookSecret, nil
}

// HasMerchants reports whether any merchant exists (serve needs the master
// key once one does).
func (db *DB) HasMerchants(ctx context.Context) (bool, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM merchants LIMIT 1)`).Scan(&n); err != nil {
		return false, fmt.Errorf("count merchants: %w", err)
	}
	return n > 0, nil
}
