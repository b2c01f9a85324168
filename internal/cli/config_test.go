package cli

import (
	"io"
	"strings"
	"testing"
)

// TestTokensTooShortRefused: --admin-token and --metrics-token (flag or
// environment) shorter than 32 characters are refused before anything
// starts; empty ones turn their feature off.
func TestTokensTooShortRefused(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 32)
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		refused string
	}{
		{"admin a", []string{"--admin-token", "a"}, nil, "--admin-token"},
		{"admin 31", []string{"--admin-token", long[:31]}, nil, "--admin-token"},
		{"admin env", nil, map[string]string{"PAYSYNC_ADMIN_TOKEN": "adm"}, "--admin-token"},
		{"metrics short", []string{"--admin-token", long, "--metrics-token", "m"}, nil, "--metrics-token"},
		{"metrics env", nil, map[string]string{"PAYSYNC_METRICS_TOKEN": "m"}, "--metrics-token"},
		{"admin 32", []string{"--admin-token", long}, nil, ""},
		{"both", []string{"--admin-token", long, "--metrics-token", long + "y"}, nil, ""},
		{"none", nil, nil, ""},
	} {
		cfg, err := parseConfig(newFlagSet("serve", io.Discard), tc.args, func(k string) string { return tc.env[k] }, "x.db")
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
			t.Errorf("%s: err = %v, want one naming %s", tc.name, err, tc.refused)
		case tc.name == "both" && cfg.MetricsToken != long+"y":
			t.Errorf("metrics token = %q", cfg.MetricsToken)
		}
	}
}
