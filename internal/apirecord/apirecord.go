// Package apirecord writes the exported API of a Go package as sorted text
// lines, one declaration a line, in the spirit of Go's own api/ files: a
// change to the public surface of tokenplug shows up as a diff of api/*.txt
// in the commit that makes it.
//
// It reads source with go/parser (no type checking), so a line shows a
// declaration as written: func signatures, exported struct fields and
// interface methods, methods on exported types, constants and variables
// (with their type where one is written).
package apirecord

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Package returns the API lines of the Go package in dir (non-test files,
// for linux; files with other GOOS build constraints in their name are
// skipped), each prefixed with "pkg <importPath>, ".
func Package(dir, importPath string) ([]string, error) {
	fset := token.NewFileSet()
	files, err := parseDir(fset, dir)
	if err != nil {
		return nil, err
	}
	w := &writer{fset: fset, prefix: "pkg " + importPath + ", "}
	for _, f := range files {
		for _, d := range f.Decls {
			w.decl(d)
		}
	}
	slices.Sort(w.lines)
	return slices.Compact(w.lines), nil
}

func parseDir(fset *token.FileSet, dir string) ([]*ast.File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("apirecord: %w", err)
	}
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || otherOS(name) {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("apirecord: %w", err)
		}
		if f.Name.Name == "main" {
			continue
		}
		files = append(files, f)
	}
	return files, nil
}

// otherOS reports a file that builds only for another OS by its name
// (x_windows.go, x_darwin.go, x_other.go): the record is of linux's API.
func otherOS(name string) bool {
	base := strings.TrimSuffix(name, ".go")
	for _, s := range []string{"_windows", "_darwin", "_other", "_freebsd", "_openbsd", "_netbsd", "_plan9", "_js", "_wasip1"} {
		if strings.HasSuffix(base, s) {
			return true
		}
	}
	return false
}

type writer struct {
	fset   *token.FileSet
	prefix string
	lines  []string
}

func (w *writer) add(format string, args ...any) {
	w.lines = append(w.lines, w.prefix+fmt.Sprintf(format, args...))
}

func (w *writer) node(n ast.Node) string {
	var b bytes.Buffer
	_ = printer.Fprint(&b, w.fset, n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func (w *writer) decl(d ast.Decl) {
	switch d := d.(type) {
	case *ast.FuncDecl:
		w.funcDecl(d)
	case *ast.GenDecl:
		for _, s := range d.Specs {
			w.spec(d.Tok, s)
		}
	}
}

func (w *writer) funcDecl(d *ast.FuncDecl) {
	if !d.Name.IsExported() {
		return
	}
	sig := strings.TrimPrefix(w.node(d.Type), "func")
	if d.Recv == nil {
		w.add("func %s%s", d.Name.Name, sig)
		return
	}
	recv := d.Recv.List[0].Type
	if !ast.IsExported(baseName(recv)) {
		return
	}
	w.add("method (%s) %s%s", w.node(recv), d.Name.Name, sig)
}

func baseName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

func (w *writer) spec(tok token.Token, s ast.Spec) {
	switch s := s.(type) {
	case *ast.ValueSpec:
		kind := map[token.Token]string{token.CONST: "const", token.VAR: "var"}[tok]
		for _, n := range s.Names {
			if !n.IsExported() {
				continue
			}
			if s.Type != nil {
				w.add("%s %s %s", kind, n.Name, w.node(s.Type))
			} else {
				w.add("%s %s", kind, n.Name)
			}
		}
	case *ast.TypeSpec:
		if s.Name.IsExported() {
			w.typeSpec(s)
		}
	}
}

func (w *writer) typeSpec(s *ast.TypeSpec) {
	name := s.Name.Name
	if s.TypeParams != nil {
		name += w.node(s.TypeParams)
	}
	switch t := s.Type.(type) {
	case *ast.StructType:
		w.add("type %s struct", name)
		w.fields(name, t.Fields)
	case *ast.InterfaceType:
		w.add("type %s interface", name)
		for _, m := range t.Methods.List {
			w.ifaceElem(name, m)
		}
	default:
		eq := " "
		if s.Assign.IsValid() {
			eq = " = "
		}
		w.add("type %s%s%s", name, eq, w.node(s.Type))
	}
}

func (w *writer) fields(typ string, fl *ast.FieldList) {
	for _, f := range fl.List {
		if len(f.Names) == 0 { // embedded
			if ast.IsExported(baseName(f.Type)) {
				w.add("type %s struct, embedded %s", typ, w.node(f.Type))
			}
			continue
		}
		for _, n := range f.Names {
			if n.IsExported() {
				w.add("type %s struct, %s %s", typ, n.Name, w.node(f.Type))
			}
		}
	}
}

func (w *writer) ifaceElem(typ string, m *ast.Field) {
	if len(m.Names) == 0 {
		w.add("type %s interface, %s", typ, w.node(m.Type))
		return
	}
	for _, n := range m.Names {
		if n.IsExported() {
			w.add("type %s interface, %s%s", typ, n.Name, strings.TrimPrefix(w.node(m.Type), "func"))
		}
	}
}

// Public lists the module's public packages below root: every directory
// with non-test Go files that is not internal, not a command (package
// main), not testdata and not examples (examples are programs, and
// examples/thirdparty is its own module).
func Public(root string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		base := d.Name()
		if rel != "." && (strings.HasPrefix(base, ".") || base == "internal" || base == "testdata" || base == "examples" || base == "cmd" || base == "api") {
			return filepath.SkipDir
		}
		if rel != "." {
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		if hasLibrary(p) {
			dirs = append(dirs, filepath.ToSlash(rel))
		}
		return nil
	})
	return dirs, err
}

func hasLibrary(dir string) bool {
	fset := token.NewFileSet()
	files, err := parseDir(fset, dir)
	return err == nil && len(files) > 0
}
