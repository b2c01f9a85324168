package app

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
)

// scrapeLinted is scrape, with every problem promlint finds in paysync's
// own metrics reported as a test error.
func scrapeLinted(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	families, raw := scrape(t, url)
	problems, err := promlint.New(bytes.NewReader(raw)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "paysync_") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}
	return families
}

// scrape reads /metrics of the running service and parses it as
// Prometheus does.
func scrape(t *testing.T, url string) (map[string]*dto.MetricFamily, []byte) {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d, %v", resp.StatusCode, err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return families, raw
}

// series reports whether family has a series with exactly these labels.
func series(f *dto.MetricFamily, labels map[string]string) bool {
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := len(got) == len(labels)
		for k, v := range labels {
			match = match && got[k] == v
		}
		if match {
			return true
		}
	}
	return false
}

// /metrics passes promlint (the checks of promtool check metrics), and the
// labelled counters exist at 0 before anything happened; a circuit's
// transitions exist from the first check of its endpoint.
func TestMetricsLintCleanAndCountersInitialised(t *testing.T) {
	pu := sandbox.NewPayUnit(sandbox.PayUnitConfig{APIKey: "k", APIUser: "u", APIPassword: "p", Mode: "test"})
	srv := httptest.NewServer(pu)
	defer srv.Close()
	cfg := testConfig(t)
	cfg.AllowPrivateURLs = true
	a, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown()

	families := scrapeLinted(t, a.PublicURL())
	for _, want := range []struct {
		family string
		labels map[string]string
	}{
		{"paysync_checks_held_back_total", map[string]string{"provider": "payunit"}},
		{"paysync_checks_held_back_total", map[string]string{"provider": "azotte"}},
		{"paysync_checks_total", map[string]string{"provider": "azotte", "outcome": "unavailable"}},
		{"paysync_settlements_total", map[string]string{"provider": "payunit", "state": "succeeded", "resolved_by": "callback"}},
		{"paysync_callbacks_verified_total", map[string]string{"provider": "payunit"}},
		{"paysync_callbacks_received_total", map[string]string{"provider": "payunit", "early": "true"}},
		{"paysync_webhook_deliveries_total", map[string]string{"outcome": "failed"}},
		{"paysync_inbox_drained_total", map[string]string{}}, // maintenance.InboxDrain
		{"paysync_database_size_bytes", map[string]string{}}, // maintenance.Retention
	} {
		f := families[want.family]
		if f == nil || !series(f, want.labels) {
			t.Errorf("/metrics lacks %s%v before any event", want.family, want.labels)
		}
	}

	ctx := context.Background()
	m, err := a.Store().CreateMerchant(ctx, store.NewMerchant{Name: "acme", PayUnit: &store.PayUnitAccount{
		BaseURL: srv.URL, Mode: "test", APIUser: "u", APIPassword: "p", APIKey: "k"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := a.Store().RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		Reference: "order-1", Amount: "100", Currency: "XAF", FirstCheckAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, a.PublicURL()+"/v1/checkouts/"+c.ID+"/refresh", nil)
	req.Header.Set("Authorization", "Bearer "+m.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("refresh: %v %v", resp, err)
	}
	resp.Body.Close()
	testwait.For(t, "the circuit transition series after the endpoint's first check", func() bool {
		families, _ = scrape(t, a.PublicURL())
		f := families["paysync_circuit_transitions_total"]
		return f != nil && len(f.GetMetric()) == 3
	})
	for _, to := range []string{"open", "half_open", "closed"} {
		endpoint := strings.TrimPrefix(srv.URL, "http://")
		if f := families["paysync_circuit_transitions_total"]; !series(f, map[string]string{"provider": "payunit", "endpoint": endpoint, "to": to}) {
			t.Errorf("no paysync_circuit_transitions_total for to=%s: %v", to, f)
		}
	}
}
