package sandbox

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHTMLFaults(t *testing.T) {
	t.Parallel()
	pu, srv := setup(t)
	id := pu.Create(Payment{TransactionID: "order-1", Amount: "10", Currency: "XAF"})
	for _, tt := range []struct {
		faults Faults
		code   int
		want   string
	}{
		{Faults{BadGatewayRate: 1}, http.StatusBadGateway, "502 Bad Gateway"},
		{Faults{HTMLRate: 1}, http.StatusOK, "maintenance"},
	} {
		pu.SetFaults(tt.faults)
		resp, body := getStatus(t, srv, id, testCreds)
		if resp.StatusCode != tt.code || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(string(body), tt.want) {
			t.Errorf("%+v: %d %s %s", tt.faults, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	if got := pu.FaultCounts(); got[FaultBadGateway] != 1 || got[FaultHTML] != 1 {
		t.Errorf("FaultCounts = %v", got)
	}
}

func TestTimeoutFaultHangsUntilClientGivesUp(t *testing.T) {
	t.Parallel()
	pu, srv := setup(t)
	id := pu.Create(Payment{TransactionID: "order-1", Amount: "10", Currency: "XAF"})
	pu.SetFaults(Faults{TimeoutRate: 1})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	resp, err := srv.Client().Do(authorized(ctx, srv.URL+"/api/gateway/checkout/status/"+id))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("timeout fault answered %d", resp.StatusCode)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the client's deadline", err)
	}
}

func TestSlowBody(t *testing.T) {
	t.Parallel()
	pu, srv := setup(t)
	id := pu.Create(Payment{TransactionID: "order-1", Amount: "10", Currency: "XAF"})
	pu.SetFaults(Faults{SlowBodyRate: 1, SlowBodyPause: time.Millisecond})
	resp, body := getStatus(t, srv, id, testCreds)
	if resp.StatusCode != http.StatusOK || !strings.HasSuffix(strings.TrimSpace(string(body)), "}") {
		t.Fatalf("slow body: %d %s", resp.StatusCode, body)
	}

	// A client that gives up between two pieces has the headers but not the body.
	pu.SetFaults(Faults{SlowBodyRate: 1, SlowBodyPause: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	resp, err := srv.Client().Do(authorized(ctx, srv.URL+"/api/gateway/checkout/status/"+id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("headers: %d", resp.StatusCode)
	}
	first := make([]byte, 1)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatalf("first piece: %v", err)
	}
	cancel()
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Fatal("the rest of a trickled body arrived at once")
	}
}

func TestFaultsDeterministicUnderSeed(t *testing.T) {
	t.Parallel()
	draw := func() string {
		pu := NewPayUnit(testCreds)
		pu.SetFaults(Faults{Seed: 42, Status5xxRate: 0.3, HTMLRate: 0.2, MalformedRate: 0.2})
		var kinds []string
		for range 50 {
			kinds = append(kinds, pu.rollFaults().kind+".")
		}
		return strings.Join(kinds, "")
	}
	a, b := draw(), draw()
	if a != b {
		t.Fatalf("same seed, different faults:\n%s\n%s", a, b)
	}
	if !strings.Contains(a, FaultServer) || !strings.Contains(a, FaultHTML) || strings.Count(a, "..") < 5 {
		t.Fatalf("50 draws at 30/20/20%% should mix faults and clean answers: %s", a)
	}
}

// authorized is a status request with testCreds.
func authorized(ctx context.Context, url string) *http.Request {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("x-api-key", testCreds.APIKey)
	req.Header.Set("mode", testCreds.Mode)
	req.SetBasicAuth(testCreds.APIUser, testCreds.APIPassword)
	return req
}
