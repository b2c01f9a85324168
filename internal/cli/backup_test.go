package cli

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/mattn/go-sqlite3" // to check the copy with SQLite itself

	"github.com/paysync/paysync/internal/testwait"
)

// TestBackupDuringCallbackBurst: "paysync backup" copies the database of a
// running service in the middle of a burst of callbacks; the copy passes
// PRAGMA integrity_check, opens with "paysync serve --db COPY", and holds
// every callback acknowledged before the backup began.
func TestBackupDuringCallbackBurst(t *testing.T) {
	t.Parallel()
	a := startApp(t, "--poll-grace", "1h")
	const n = 240
	ids := make([]string, n)
	for i := range n {
		ids[i] = a.register(fmt.Sprintf("burst-%d", i), "10").ID
	}

	var mu sync.Mutex
	acked := map[int]bool{}
	enough := make(chan struct{}) // a quarter of the burst is acknowledged
	var once sync.Once
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				body := fmt.Sprintf(`{"transaction_id":"burst-%d","status":"SUCCESS","amount":10}`, i)
				resp, err := http.Post(a.url+a.notify, "application/json", strings.NewReader(body))
				if err != nil {
					t.Errorf("callback %d: %v", i, err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("callback %d answered %d", i, resp.StatusCode)
					return
				}
				mu.Lock()
				acked[i] = true
				if len(acked) >= n/4 {
					once.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		}()
	}
	<-enough
	mu.Lock()
	before := make([]int, 0, len(acked))
	for i := range acked {
		before = append(before, i)
	}
	mu.Unlock()
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	var out bytes.Buffer
	err := Run(context.Background(), []string{"backup", "--db", a.dbPath, "--out", copyPath}, func(string) string { return "" }, &out, io.Discard)
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	t.Logf("%s: %d callbacks acknowledged before the backup, %d while it ran, %d in all", strings.TrimSpace(out.String()), len(before), during, len(acked))

	raw, err := sql.Open("sqlite3", "file:"+copyPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := raw.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of the copy = %q, %v", check, err)
	}
	raw.Close()

	restored := &app{t: t, admin: a.admin, dbPath: copyPath, apiKey: a.apiKey, notify: a.notify, puURL: a.puURL}
	restored.boot("--poll-grace", "1h")
	for _, i := range before { // those still in the copy's inbox table are drained just after the start
		testwait.For(t, fmt.Sprintf("burst-%d's callback in the copy", i), func() bool {
			return restored.events(ids[i])["callback_received"] == 1
		})
		if got := restored.events(ids[i])["callback_received"]; got != 1 {
			t.Fatalf("the copy shows %d callbacks for burst-%d, acknowledged before the backup began", got, i)
		}
	}
}
