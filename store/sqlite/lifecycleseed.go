package sqlite

// This file is for benchmarks and tests only: it bypasses the store's
// rules to fill a database quickly with settled checkouts and their history.

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/paysync/paysync/store"
)

// seedCallbackBody is a PayUnit callback of the size they come in (with a
// buyer's name and phone number, which is why retention deletes them).
var seedCallbackBody = []byte(`{"transaction_id":"%s","transaction_amount":2500,"transaction_currency":"XAF",` +
	`"transaction_status":"SUCCESS","payment_method":"CM_MTNMOMO","customer_name":"Ada Lovelace",` +
	`"customer_phone":"+237670000000","notify_url":"https://paysync.example/hooks/payunit/` + strings.Repeat("x", 43) + `",` +
	`"return_url":"https://shop.example/return","description":"` + strings.Repeat("order line ", 20) + `"}`)

// SeedSettledCheckouts inserts n succeeded PayUnit checkouts of the
// merchant, settled at settledAt, each with the history a real one
// collects: four events (registered, callback_received, status_checked,
// state_changed), its raw callback, one delivery (snapshot and signed
// body) and one attempt; in transactions of up to 5,000 checkouts. It
// does no checks: it is for benchmarks and tests, never for requests.
func (b *Backend) SeedSettledCheckouts(ctx context.Context, merchantID, prefix string, n int, settledAt time.Time) error {
	for start := 0; start < n; start += 5000 {
		end := min(n, start+5000)
		err := b.exec(ctx, func(tx *sql.Tx) error {
			for i := start; i < end; i++ {
				if err := seedSettled(tx, merchantID, fmt.Sprintf("%s-%d", prefix, i), ms(settledAt)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed settled checkouts: %w", err)
		}
	}
	return nil
}

func seedSettled(tx *sql.Tx, merchantID, ref string, at int64) error {
	id, dl := "chk_"+uuid.NewString(), "msg_"+uuid.NewString()
	body := fmt.Sprintf(string(seedCallbackBody), ref)
	snapshot := fmt.Sprintf(`{"ID":%q,"MerchantID":%q,"Provider":"payunit","Reference":%q,"Amount":"2500","Currency":"XAF",`+
		`"State":"succeeded","ProviderStatus":"SUCCESS","ResolvedBy":"callback","Version":2,"Token":%q}`, id, merchantID, ref, uuid.NewString())
	stmts := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO checkouts (id, merchant_id, provider, reference, amount, currency, token, state, provider_status,
			resolved_by, callback_received_at, last_checked_at, created_at, updated_at, version, settled_at)
			VALUES (?,?,'payunit',?,'2500','XAF',?,'succeeded','SUCCESS','callback',?,?,?,?,2,?)`,
			[]any{id, merchantID, ref, uuid.NewString(), at, at, at - 60_000, at, at}},
		{`INSERT INTO events (checkout_id, at, source, type) VALUES (?,?,'merchant','registered')`, []any{id, at - 60_000}},
		{`INSERT INTO events (checkout_id, at, source, type, provider_status) VALUES (?,?,'callback','callback_received','SUCCESS')`, []any{id, at}},
		{`INSERT INTO events (checkout_id, at, source, type, provider_status) VALUES (?,?,'poller','status_checked','SUCCESS')`, []any{id, at}},
		{`INSERT INTO events (checkout_id, at, source, type, provider_status, from_state, to_state)
			VALUES (?,?,'paysync','state_changed','SUCCESS','pending','succeeded')`, []any{id, at}},
		{`INSERT INTO notifications (merchant_id, provider, checkout_id, transaction_id, status, content_type, body, received_at)
			VALUES (?,'payunit',?,?,'SUCCESS','application/json',?,?)`, []any{merchantID, id, ref, []byte(body), at}},
		{`INSERT INTO deliveries (id, merchant_id, checkout_id, version, type, snapshot, body, status, attempts, created_at, updated_at)
			VALUES (?,?,?,2,'checkout.succeeded',?,?,?,1,?,?)`, []any{dl, merchantID, id, []byte(snapshot), []byte(snapshot), store.DeliveryDelivered, at, at}},
		{`INSERT INTO delivery_attempts (delivery_id, at, url, status_code, latency_ms, response) VALUES (?,?,?,204,85,'')`,
			[]any{dl, at, "https://shop.example/hooks/paysync"}},
	}
	for _, s := range stmts {
		if _, err := tx.Exec(s.sql, s.args...); err != nil {
			return err
		}
	}
	return nil
}

// Checkpoint copies the WAL back into the main file and truncates it, so
// that the file's size on disk is the database's (for tests and benchmarks
// that measure it). It needs the writer idle.
func (b *Backend) Checkpoint(ctx context.Context) error {
	if _, err := b.write.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}
