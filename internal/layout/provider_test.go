package layout

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paysync/paysync/providers"
)

// pluginRooms are where a provider's name may decide what code does: the
// provider plug-ins and their registry. The sandbox fakes the providers
// themselves; it is not paysync's code path.
var pluginRooms = []string{"provider", "providers", "sandbox"}

// TestNoProviderSwitchOutsideTheRegistry pins that no code outside the
// plug-in rooms switches on a provider's name: no case clause and no
// comparison (== or !=) with a registered provider's name, as a string
// literal or as a constant declared with it (store.ProviderPayUnit,
// payunit.Name …). Such code asks the registry (package providers).
func TestNoProviderSwitchOutsideTheRegistry(t *testing.T) {
	names := providers.Names()
	files := moduleFiles(t, "../..")
	consts := nameConstants(t, files, names)
	if len(consts) == 0 {
		t.Fatal("found no constant holding a provider's name; the scan would miss them")
	}
	for _, f := range files {
		if f.room == "" {
			continue
		}
		for _, at := range providerSwitches(f.fset, f.file, names, consts) {
			t.Errorf("%s switches on a provider's name: ask the registry (package providers)", at)
		}
	}
}

// TestProvidersReachedThroughTheRegistry pins that only the registry
// imports a provider plug-in (provider/payunit …): the rooms import
// package providers, and provider/plugin for its terms.
func TestProvidersReachedThroughTheRegistry(t *testing.T) {
	for name, p := range listModule(t) {
		if top, _, _ := strings.Cut(name, "/"); slices.Contains(pluginRooms, top) {
			continue
		}
		for _, imp := range p.Imports {
			rel, ok := strings.CutPrefix(imp, module+"/provider/")
			if ok && rel != "plugin" && rel != "providertest" {
				t.Errorf("%s imports the plug-in %s; ask the registry (package providers)", name, imp)
			}
		}
	}
}

// TestProviderSwitchFound checks that the scan sees the switches it is
// meant to refuse, so that the test above can fail.
func TestProviderSwitchFound(t *testing.T) {
	src := `package p
import "github.com/paysync/paysync/store"
func f(p string, m store.Merchant) int {
	switch p {
	case "azotte":
		return 1
	}
	if p == store.ProviderPayUnit || "payunit" != p {
		return 2
	}
	switch {
	case p == payunit.Name:
		return 3
	}
	return 0
}`
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]bool{"store.ProviderPayUnit": true, "payunit.Name": true}
	got := providerSwitches(fset, file, []string{"payunit", "azotte"}, consts)
	if len(got) != 4 {
		t.Fatalf("found %v, want the case clause and the three comparisons", got)
	}
}

// goFile is one parsed non-test Go file of the module; room is its
// package folder, "" for the plug-in rooms.
type goFile struct {
	room string
	pkg  string
	fset *token.FileSet
	file *ast.File
}

// moduleFiles parses every non-test Go file below root.
func moduleFiles(t *testing.T, root string) []goFile {
	t.Helper()
	var out []goFile
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "testdata" || (strings.HasPrefix(n, ".") && path != root) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		fset := token.NewFileSet()
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		file, err := parser.ParseFile(fset, filepath.ToSlash(path[len(root)+1:]), src, 0)
		if err != nil {
			return err
		}
		room := rel
		if top, _, _ := strings.Cut(rel, "/"); slices.Contains(pluginRooms, top) {
			room = ""
		}
		out = append(out, goFile{room: room, pkg: file.Name.Name, fset: fset, file: file})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// nameConstants returns the constants declared with a provider's name as
// their value, as "pkg.Name".
func nameConstants(t *testing.T, files []goFile, names []string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, f := range files {
		for _, decl := range f.file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, v := range vs.Values {
					if isNameLiteral(v, names) && i < len(vs.Names) {
						out[f.pkg+"."+vs.Names[i].Name] = true
					}
				}
			}
		}
	}
	return out
}

// providerSwitches returns where file has a case clause or a comparison
// with a provider's name.
func providerSwitches(fset *token.FileSet, file *ast.File, names []string, consts map[string]bool) []string {
	isName := func(e ast.Expr) bool {
		switch e := e.(type) {
		case *ast.BasicLit:
			return isNameLiteral(e, names)
		case *ast.SelectorExpr:
			x, ok := e.X.(*ast.Ident)
			return ok && consts[x.Name+"."+e.Sel.Name]
		case *ast.Ident:
			return consts[file.Name.Name+"."+e.Name]
		}
		return false
	}
	var out []string
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CaseClause:
			if slices.ContainsFunc(n.List, isName) {
				out = append(out, fset.Position(n.Pos()).String())
			}
		case *ast.BinaryExpr:
			if (n.Op == token.EQL || n.Op == token.NEQ) && (isName(n.X) || isName(n.Y)) {
				out = append(out, fset.Position(n.Pos()).String())
			}
		}
		return true
	})
	return out
}

// isNameLiteral reports whether e is a string literal holding one of names.
func isNameLiteral(e ast.Expr, names []string) bool {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return false
	}
	s, err := strconv.Unquote(lit.Value)
	return err == nil && slices.Contains(names, strings.ToLower(s))
}
