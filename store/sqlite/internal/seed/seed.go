// Package seed fills a paysync SQLite database quickly for tests and
// benchmarks, bypassing the store's rules (no registration checks, no
// duplicate checks). Only test code and store/sqlite/sqlitetest import it:
// nothing here is compiled into the service.
package seed

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// Write runs fn in one write transaction and returns once it committed.
type Write func(fn func(*sql.Tx) error) error

// PendingCheckouts inserts n pending PayUnit checkouts for the merchant in
// transactions of up to 10,000 rows, references prefix-0 … prefix-(n-1),
// amount "10" XAF, the i-th due at due(i). It writes no registration
// events. It returns the ids in order.
func PendingCheckouts(write Write, merchantID, prefix string, n int, due func(i int) time.Time) ([]string, error) {
	ids := make([]string, 0, n)
	for start := 0; start < n; start += 10000 {
		end := min(n, start+10000)
		err := write(func(tx *sql.Tx) error {
			stmt, err := tx.Prepare(`INSERT INTO checkouts (id, merchant_id, provider, reference, amount, currency,
				token, state, next_check_at, created_at, updated_at, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,1)`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			now := rowscan.MS(time.Now())
			for i := start; i < end; i++ {
				id := "chk_" + uuid.NewString()
				if _, err := stmt.Exec(id, merchantID, store.ProviderPayUnit, fmt.Sprintf("%s-%d", prefix, i), "10", "XAF",
					uuid.NewString(), string(store.StatePending), rowscan.MS(due(i)), now, now); err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("seed checkouts: %w", err)
		}
	}
	return ids, nil
}

// callbackBody is a PayUnit callback of the size they come in (with a
// buyer's name and phone number, which is why retention deletes them).
var callbackBody = []byte(`{"transaction_id":"%s","transaction_amount":2500,"transaction_currency":"XAF",` +
	`"transaction_status":"SUCCESS","payment_method":"CM_MTNMOMO","customer_name":"Ada Lovelace",` +
	`"customer_phone":"+237670000000","notify_url":"https://paysync.example/hooks/payunit/` + strings.Repeat("x", 43) + `",` +
	`"return_url":"https://shop.example/return","description":"` + strings.Repeat("order line ", 20) + `"}`)

// SettledCheckouts inserts n succeeded PayUnit checkouts of the merchant,
// settled at settledAt, each with the history a real one collects: four
// events (registered, callback_received, status_checked, state_changed),
// its raw callback, one delivery (snapshot and signed body) and one
// attempt; in transactions of up to 5,000 checkouts.
func SettledCheckouts(write Write, merchantID, prefix string, n int, settledAt time.Time) error {
	for start := 0; start < n; start += 5000 {
		end := min(n, start+5000)
		err := write(func(tx *sql.Tx) error {
			for i := start; i < end; i++ {
				if err := settled(tx, merchantID, fmt.Sprintf("%s-%d", prefix, i), rowscan.MS(settledAt)); err != nil {
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

func settled(tx *sql.Tx, merchantID, ref string, at int64) error {
	id, dl := "chk_"+uuid.NewString(), "msg_"+uuid.NewString()
	body := fmt.Sprintf(string(callbackBody), ref)
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

// ClaimQuery is the claim's inner query, whose plan tests and benchmarks
// show uses the index.
const ClaimQuery = `SELECT id FROM checkouts WHERE next_check_at <= ? ORDER BY next_check_at LIMIT ?`

// QueryPlan returns SQLite's plan for q with args (EXPLAIN QUERY PLAN),
// one step a line.
func QueryPlan(ctx context.Context, db *sql.DB, q string, args ...any) (string, error) {
	rows, err := db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "\n"), rows.Err()
}
