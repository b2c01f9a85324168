package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paysync/paysync/store"
)

func TestCreateMerchant(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)

	if !strings.HasPrefix(m.ID, "mer_") || m.APIKey == "" || m.HookToken == "" {
		t.Fatalf("created merchant = %+v", m)
	}
	secret, ok := strings.CutPrefix(m.WebhookSecret, "whsec_")
	if !ok {
		t.Fatalf("WebhookSecret = %q, want whsec_ prefix", m.WebhookSecret)
	}
	if raw, err := base64.StdEncoding.DecodeString(secret); err != nil || len(raw) < 24 {
		t.Errorf("webhook secret body: %d bytes, %v; want base64 of at least 24 bytes", len(raw), err)
	}
	if m.PayUnit == nil || m.PayUnit.APIPassword != "" || m.PayUnit.APIKey != "" || m.PayUnit.APIUser != "" ||
		m.Azotte == nil || m.Azotte.APIKey != "" || m.Azotte.TenantID != "" {
		t.Errorf("created merchant shows credentials: %+v %+v", m.PayUnit, m.Azotte)
	}
	if !m.CreatedAt.Equal(clock.Now()) {
		t.Errorf("CreatedAt = %v, want %v", m.CreatedAt, clock.Now())
	}

	got, err := db.MerchantByAPIKey(ctx, m.APIKey)
	if err != nil {
		t.Fatalf("MerchantByAPIKey: %v", err)
	}
	if got.ID != m.ID || got.Name != "acme" || got.WebhookURL != m.WebhookURL ||
		len(got.ReturnHosts) != 1 || got.ReturnHosts[0] != "shop.example" ||
		got.PayUnit == nil || got.PayUnit.BaseURL != "https://gateway.payunit.net" || got.PayUnit.Mode != "live" ||
		got.PayUnit.APIPassword != "" || got.Azotte == nil || got.Azotte.APIKey != "" {
		t.Errorf("MerchantByAPIKey = %+v (payunit %+v, azotte %+v)", got, got.PayUnit, got.Azotte)
	}
	if !got.CreatedAt.Equal(clock.Now()) {
		t.Errorf("CreatedAt read back = %v, want %v", got.CreatedAt, clock.Now())
	}
	if _, err := db.MerchantByAPIKey(ctx, m.APIKey+"x"); store.ErrorCode(err) != store.ENOTFOUND {
		t.Errorf("MerchantByAPIKey(wrong key): %v, want %s", err, store.ENOTFOUND)
	}
	if _, err := db.MerchantByAPIKey(ctx, ""); store.ErrorCode(err) != store.ENOTFOUND {
		t.Errorf("MerchantByAPIKey(\"\"): %v, want %s", err, store.ENOTFOUND)
	}
	if got, err := db.MerchantByHookToken(ctx, m.HookToken); err != nil || got.ID != m.ID {
		t.Errorf("MerchantByHookToken = %v, %v", got.ID, err)
	}
	if _, err := db.MerchantByHookToken(ctx, "nope"); store.ErrorCode(err) != store.ENOTFOUND {
		t.Errorf("MerchantByHookToken(unknown): %v, want %s", err, store.ENOTFOUND)
	}
	if _, err := db.Merchant(ctx, "mer_nope"); store.ErrorCode(err) != store.ENOTFOUND {
		t.Errorf("Merchant(unknown): %v, want %s", err, store.ENOTFOUND)
	}

	// Two merchants never share keys or tokens.
	m2 := newTestMerchant(t, db)
	if m2.ID == m.ID || m2.APIKey == m.APIKey || m2.HookToken == m.HookToken || m2.WebhookSecret == m.WebhookSecret {
		t.Errorf("second merchant reuses identifiers: %+v vs %+v", m2, m)
	}
	if got, err := db.MerchantByAPIKey(ctx, m2.APIKey); err != nil || got.ID != m2.ID {
		t.Errorf("MerchantByAPIKey(second) = %v, %v", got.ID, err)
	}
}

func TestMerchantWithoutProviders(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	ctx := context.Background()
	m, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "bare"})
	if err != nil {
		t.Fatalf("CreateMerchant: %v", err)
	}
	got, secret, err := db.MerchantSecrets(ctx, m.ID)
	if err != nil {
		t.Fatalf("MerchantSecrets: %v", err)
	}
	if got.PayUnit != nil || got.Azotte != nil || got.ReturnHosts == nil || len(got.ReturnHosts) != 0 || secret != m.WebhookSecret {
		t.Errorf("MerchantSecrets = %+v, %q", got, secret)
	}
}

// TestSecretsNotStoredInClear scans the raw merchants row, and the database
// files themselves, for the API key and the provider credentials.
func TestSecretsNotStoredInClear(t *testing.T) {
	dir := t.TempDir()
	db := openTestDB(t, filepath.Join(dir, "paysync.db"), store.Options{MasterKey: testMasterKey, Now: newFakeClock().Now})
	m := newTestMerchant(t, db)
	secrets := map[string]string{
		"api key":              m.APIKey,
		"payunit api_password": "pu-password-s3cret",
		"payunit api_key":      "live_pu_key_123",
		"azotte api_key":       "sk_dev_azotte_456",
		"webhook secret":       m.WebhookSecret,
	}

	rows, err := db.read.Query(`SELECT * FROM merchants WHERE id = ?`, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		t.Fatal("merchant row missing")
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	for _, v := range vals {
		switch v := v.(type) {
		case []byte:
			raw.Write(v)
		case string:
			raw.WriteString(v)
		}
		raw.WriteByte(0)
	}
	if raw.Len() < 100 {
		t.Fatalf("raw row only %d bytes: %q", raw.Len(), raw.Bytes())
	}
	for what, s := range secrets {
		if bytes.Contains(raw.Bytes(), []byte(s)) {
			t.Errorf("%s appears in clear in the merchants row", what)
		}
	}
	if !bytes.Contains(raw.Bytes(), []byte("https://gateway.payunit.net")) {
		t.Errorf("sanity: the row does not hold the PayUnit base URL; scan broken?")
	}

	// And nowhere on disk: the database, its WAL, its shared memory.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var disk []byte
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		disk = append(disk, b...)
	}
	if !bytes.Contains(disk, []byte("https://gateway.payunit.net")) {
		t.Fatalf("sanity: the database files do not hold the PayUnit base URL")
	}
	for what, s := range secrets {
		if bytes.Contains(disk, []byte(s)) {
			t.Errorf("%s appears in clear in the database files", what)
		}
	}
}

func TestMerchantSecretsRoundTrip(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	got, secret, err := db.MerchantSecrets(ctx, m.ID)
	if err != nil {
		t.Fatalf("MerchantSecrets: %v", err)
	}
	if secret != m.WebhookSecret {
		t.Errorf("webhook secret = %q, want %q", secret, m.WebhookSecret)
	}
	wantPU := store.PayUnitAccount{BaseURL: "https://gateway.payunit.net", Mode: "live",
		APIUser: "pu-user", APIPassword: "pu-password-s3cret", APIKey: "live_pu_key_123"}
	wantAZ := store.AzotteAccount{BaseURL: "https://acme.sandbox.azotte.com/api/v1",
		TenantID: "e2a1c7b2-0000-4000-8000-000000000001", APIKey: "sk_dev_azotte_456"}
	if got.PayUnit == nil || *got.PayUnit != wantPU {
		t.Errorf("PayUnit = %+v, want %+v", got.PayUnit, wantPU)
	}
	if got.Azotte == nil || *got.Azotte != wantAZ {
		t.Errorf("Azotte = %+v, want %+v", got.Azotte, wantAZ)
	}
	if got.ID != m.ID || got.Name != m.Name {
		t.Errorf("merchant = %+v", got)
	}
	if _, _, err := db.MerchantSecrets(ctx, "mer_nope"); store.ErrorCode(err) != store.ENOTFOUND {
		t.Errorf("MerchantSecrets(unknown): %v, want %s", err, store.ENOTFOUND)
	}
}

func TestSealedSecretsBoundToMerchant(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	ctx := context.Background()
	a, b := newTestMerchant(t, db), newTestMerchant(t, db)
	// Move a's sealed blob onto b: the merchant id is the additional data.
	if err := db.exec(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE merchants SET secrets = (SELECT secrets FROM merchants WHERE id = ?) WHERE id = ?`, a.ID, b.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.MerchantSecrets(ctx, b.ID); err == nil {
		t.Fatal("MerchantSecrets with another merchant's sealed blob = nil error")
	}
}

func TestMasterKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paysync.db")
	db := openTestDB(t, path, store.Options{MasterKey: testMasterKey, Now: newFakeClock().Now})
	m := newTestMerchant(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	t.Run("different key", func(t *testing.T) {
		other := bytes.Repeat([]byte{7}, 32)
		db := openTestDB(t, path, store.Options{MasterKey: other})
		if _, err := db.Merchant(ctx, m.ID); err != nil {
			t.Fatalf("Merchant (no secrets needed): %v", err)
		}
		got, secret, err := db.MerchantSecrets(ctx, m.ID)
		if err == nil {
			t.Fatalf("MerchantSecrets with another master key = %+v, %q, nil; want an error", got, secret)
		}
		if strings.Contains(err.Error(), "pu-password") {
			t.Errorf("error leaks a secret: %v", err)
		}
	})
	t.Run("no key", func(t *testing.T) {
		db := openTestDB(t, path, store.Options{})
		if _, _, err := db.MerchantSecrets(ctx, m.ID); store.ErrorCode(err) != store.ECONFIG {
			t.Errorf("MerchantSecrets without master key: %v, want %s", err, store.ECONFIG)
		}
		_, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "x"})
		wantCode(t, err, store.ECONFIG)
		// Nothing was stored.
		var n int
		if err := db.read.QueryRow(`SELECT count(*) FROM merchants`).Scan(&n); err != nil || n != 1 {
			t.Errorf("merchants = %d, %v; want 1", n, err)
		}
		// The merchant is still usable for lookups.
		if got, err := db.MerchantByAPIKey(ctx, m.APIKey); err != nil || got.ID != m.ID {
			t.Errorf("MerchantByAPIKey without master key = %v, %v", got.ID, err)
		}
	})
	t.Run("same key again", func(t *testing.T) {
		db := openTestDB(t, path, store.Options{MasterKey: testMasterKey})
		if _, secret, err := db.MerchantSecrets(ctx, m.ID); err != nil || secret != m.WebhookSecret {
			t.Errorf("MerchantSecrets with the right key after reopen: %q, %v", secret, err)
		}
	})
}
