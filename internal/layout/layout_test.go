package layout

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/paysync/paysync"

// pkg is what go list says of one package of the module.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// listModule returns every package of the module by import path (without
// the module prefix; "" is the root).
func listModule(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs[strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")] = p
	}
	return pkgs
}

// wiring is where the whole service is put together: only these may
// import every room and a store backend.
var wiring = map[string]bool{"": true, "internal/app": true, "internal/cli": true, "bench": true}

// sqlDrivers are database drivers the backend-neutral store must not reach.
var sqlDrivers = []string{"github.com/mattn/go-sqlite3", "github.com/jackc/pgx", "github.com/lib/pq", "modernc.org/sqlite"}

func hasPrefix(list []string, prefixes ...string) string {
	for _, s := range list {
		for _, p := range prefixes {
			if s == p || strings.HasPrefix(s, p+"/") {
				return s
			}
		}
	}
	return ""
}

func local(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = module + "/" + n
	}
	return out
}

func TestImportRules(t *testing.T) {
	pkgs := listModule(t)
	if _, ok := pkgs["store"]; !ok {
		t.Fatalf("go list found no store package among %d", len(pkgs))
	}
	st := pkgs["store"]
	if d := hasPrefix(st.Deps, sqlDrivers...); d != "" {
		t.Errorf("store (backend-neutral) depends on the SQL driver %s", d)
	}
	if d := hasPrefix(st.Imports, "database/sql"); d != "" {
		t.Errorf("store (backend-neutral) imports %s", d)
	}
	if d := hasPrefix(st.Deps, module); d != "" {
		t.Errorf("store imports the room %s; it imports none", d)
	}
	if d := hasPrefix(pkgs["handlers"].Deps, local("poller", "notify")...); d != "" {
		t.Errorf("handlers depends on %s; it wakes the workers through interfaces", d)
	}
	for name, p := range pkgs {
		if strings.HasPrefix(name, "provider/") {
			if d := hasPrefix(p.Deps, module); d != "" && !strings.HasPrefix(d, module+"/provider/") {
				t.Errorf("%s depends on %s; provider code knows only its provider", name, d)
			}
		}
		if wiring[name] {
			continue
		}
		if d := hasPrefix(p.Deps, local("internal/app", "internal/cli")...); d != "" {
			t.Errorf("%s depends on the wiring %s; no room imports the wiring", name, d)
		}
		if strings.HasPrefix(name, "store/") {
			continue // a backend and the conformance suite
		}
		if d := hasPrefix(p.Deps, local("store/sqlite", "store/postgres")...); d != "" {
			t.Errorf("%s depends on the backend %s; only the wiring chooses one", name, d)
		}
	}
	if app, ok := pkgs["internal/app"]; ok {
		for _, room := range local("handlers", "web", "poller", "notify", "provider/payunit", "provider/azotte", "store", "store/sqlite") {
			if hasPrefix(app.Deps, room) == "" {
				t.Errorf("internal/app does not import %s: the one wiring builds every room", room)
			}
		}
	}
}
