package layout

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/paysync/paysync"

// pkg is what go list says of one package of the module.
type pkg struct {
	ImportPath string
	Dir        string
	GoFiles    []string // non-test files
	Imports    []string // of the non-test files
	Deps       []string
}

// listModule returns every package of the module by import path (without
// the module prefix; "" is the root).
func listModule(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Dir,GoFiles,Imports,Deps", module+"/...")
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
		for _, room := range local("handlers", "web", "poller", "notify", "provider/payunit", "provider/azotte", "store", "store/sqlite",
			"service", "maintenance", "cluster") {
			if hasPrefix(app.Deps, room) == "" {
				t.Errorf("internal/app does not import %s: the one wiring builds every room", room)
			}
		}
	}
}

// internalRooms is all internal/ holds: the wiring and the project's own
// test tooling.
var internalRooms = map[string]bool{"internal/app": true, "internal/cli": true, "internal/layout": true, "internal/testwait": true}

// TestInternalIsWiringAndTestTooling pins what internal/ means: the wiring
// (app, cli) and the test tooling (layout, testwait), nothing a room
// needs. No package outside the wiring imports internal/ in its non-test
// code, and testwait is imported by tests only.
func TestInternalIsWiringAndTestTooling(t *testing.T) {
	pkgs := listModule(t)
	for name, p := range pkgs {
		if strings.HasPrefix(name, "internal/") && !internalRooms[name] {
			t.Errorf("%s is under internal/, which holds only the wiring and the test tooling: give it a room of its own", name)
		}
		if d := hasPrefix(p.Imports, local("internal/testwait")...); d != "" {
			t.Errorf("%s imports %s in non-test code; only tests wait with it", name, d)
		}
		if wiring[name] {
			continue
		}
		if d := hasPrefix(p.Imports, module+"/internal"); d != "" {
			t.Errorf("%s imports %s in non-test code; only the wiring imports internal/", name, d)
		}
	}
}

// TestOneLifecycle pins the rooms of the background services: every one
// runs on package service (its Base, its Loop), and the wiring builds and
// orders them but starts no goroutine of its own.
func TestOneLifecycle(t *testing.T) {
	pkgs := listModule(t)
	for _, name := range []string{"service", "maintenance", "cluster"} {
		if _, ok := pkgs[name]; !ok {
			t.Errorf("no package %s: the background services' room is missing", name)
		}
	}
	for _, name := range []string{"poller", "notify", "maintenance", "cluster"} {
		if hasPrefix(pkgs[name].Imports, local("service")...) == "" {
			t.Errorf("%s does not import service: every background service has the one lifecycle", name)
		}
	}
	app, ok := pkgs["internal/app"]
	if !ok {
		t.Fatal("go list found no internal/app")
	}
	fset := token.NewFileSet()
	for _, file := range app.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(app.Dir, file), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if g, ok := n.(*ast.GoStmt); ok {
				t.Errorf("%s: internal/app starts a goroutine; a background service belongs in a room of its own (maintenance, cluster …), started by the service.Group", fset.Position(g.Pos()))
			}
			return true
		})
	}
}
