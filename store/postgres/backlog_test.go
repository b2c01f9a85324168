package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store/internal/rowscan"
)

// seedDue inserts n pending checkouts of merchant 'm' (created by the
// first call), due at dueMS, ids prefix-0 ….
func seedDue(t *testing.T, b *Backend, prefix string, n int, dueMS int64) {
	t.Helper()
	ctx := context.Background()
	if _, err := b.pool.Exec(ctx, `INSERT INTO merchants (id, name, api_key_hash, hook_token, secrets, created_at)
		VALUES ('m', 'm', '\x01', 'hook-m', '\x00', 0) ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	if _, err := b.pool.Exec(ctx, `INSERT INTO checkouts (id, merchant_id, provider, reference, amount, currency, token, state,
			next_check_at, created_at, updated_at, version)
		SELECT $1 || i, 'm', 'payunit', $1 || i, '10', 'XAF', $1 || i, 'pending', $2, 0, 0, 1
		FROM generate_series(1, $3::int) AS i`, prefix, dueMS, n); err != nil {
		t.Fatal(err)
	}
}

// TestLargeBacklogIsCountedAtMostEvery30s: the backlog gauge's count is
// exact up to countDueExact due checkouts, at every sample; a larger
// backlog is counted in full once, and that count stands (the backlog
// still over countDueExact) until it is countDueFullEvery old. Counting
// a large backlog visits every due row, each second, on the poller's loop.
func TestLargeBacklogIsCountedAtMostEvery30s(t *testing.T) {
	ctx := context.Background()
	b := openTest(t)
	defer b.Close()
	now := time.Now()
	due := rowscan.MS(now.Add(-time.Minute))
	count := func(at time.Time) int {
		t.Helper()
		n, err := b.CountDueCheckouts(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	seedDue(t, b, "a-", 10, due)
	if n := count(now); n != 10 {
		t.Fatalf("small backlog: %d, want 10", n)
	}
	seedDue(t, b, "b-", 10, due)
	if n := count(now.Add(time.Second)); n != 20 {
		t.Fatalf("small backlog, a second later: %d, want 20 (exact at every sample)", n)
	}
	seedDue(t, b, "c-", countDueExact+480, due)
	if n := count(now.Add(2 * time.Second)); n != countDueExact+500 {
		t.Fatalf("large backlog: %d, want %d", n, countDueExact+500)
	}
	seedDue(t, b, "d-", 100, due)
	if n := count(now.Add(3 * time.Second)); n != countDueExact+500 {
		t.Fatalf("large backlog a second after its full count: %d, want the count of then, %d", n, countDueExact+500)
	}
	if n := count(now.Add(2*time.Second + countDueFullEvery)); n != countDueExact+600 {
		t.Fatalf("large backlog %v after its full count: %d, want a new count, %d", countDueFullEvery, n, countDueExact+600)
	}
	if _, err := b.pool.Exec(ctx, `UPDATE checkouts SET next_check_at = NULL WHERE id NOT LIKE 'a-%'`); err != nil {
		t.Fatal(err)
	}
	if n := count(now.Add(2*time.Second + countDueFullEvery + time.Second)); n != 10 {
		t.Fatalf("the backlog back to 10 a second after a full count: %d, want 10 (exact again)", n)
	}
}

// TestBacklogCountWalksTheDueIndex: the backlog's count up to
// countDueExact walks checkouts_due, also when the due rows are where a
// scan of the table would find them last (the rows updated most
// recently, as the bench's backlog is) and the visibility map is behind
// (not vacuumed since): unordered, the planner expected to meet
// countDueExact of them early in a scan of the table and scanned it
// (60-360 ms under the bench's pending load).
func TestBacklogCountWalksTheDueIndex(t *testing.T) {
	b := openTest(t)
	defer b.Close()
	now := time.Now()
	seedDue(t, b, "later-", 50_000, rowscan.MS(now.Add(24*time.Hour)))
	seedDue(t, b, "due-", 10_000, rowscan.MS(now.Add(-time.Minute)))
	if _, err := b.pool.Exec(context.Background(), `ANALYZE checkouts`); err != nil {
		t.Fatal(err)
	}
	plan := explainAs(t, b, countDueSQL, []any{rowscan.MS(now), countDueExact}, false)
	if !strings.Contains(plan, "checkouts_due") || strings.Contains(plan, "Seq Scan") {
		t.Fatalf("the backlog's count does not walk checkouts_due:\n%s", plan)
	}
}
