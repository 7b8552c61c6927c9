package apirecord

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The record names what a user can call and see, and nothing else.
func TestPackageRecordsExportedDeclarationsOnly(t *testing.T) {
	dir := t.TempDir()
	src := `package p

type T struct {
	Exported int
	hidden   string
	*Embedded
}
type Embedded struct{}
type I interface {
	M(x int) error
	m()
}
type hiddenT struct{ X int }
const C, d = 1, 2
var V string
func F(a, b int) (int, error) { return 0, nil }
func (t *T) Method() {}
func (h hiddenT) Exported() {}
func g() {}
`
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "p_windows.go"), []byte("package p\nfunc WindowsOnly() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Package(dir, "x/p")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pkg x/p, const C",
		"pkg x/p, func F(a, b int) (int, error)",
		"pkg x/p, method (*T) Method()",
		"pkg x/p, type Embedded struct",
		"pkg x/p, type I interface",
		"pkg x/p, type I interface, M(x int) error",
		"pkg x/p, type T struct",
		"pkg x/p, type T struct, Exported int",
		"pkg x/p, type T struct, embedded *Embedded",
		"pkg x/p, var V string",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Package() =\n%q\nwant\n%q", got, want)
	}
}
