// Package testbin builds the programs that tests run as separate processes
// (plugin binaries, helper hosts), once per test binary, and launches a
// plugin binary the way a host does. It is for tests only.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/tokenplug/tokenplug/internal/launch"
)

// Main is a TestMain body: it builds each of pkgs (name to package path,
// relative to the test's package directory) into a temporary directory,
// records name to binary path in bins, runs the tests, fails the run if
// goroutines leaked, removes the binaries and exits.
func Main(m *testing.M, bins map[string]string, pkgs map[string]string) {
	os.Exit(run(m, bins, pkgs))
}

// builtin maps the names Plugins knows to their package paths.
var builtin = map[string]string{
	"symphony":  "github.com/tokenplug/tokenplug/plugins/symphony/cmd/tokenplug-symphony",
	"iam":       "github.com/tokenplug/tokenplug/plugins/iam/cmd/tokenplug-iam",
	"azure":     "github.com/tokenplug/tokenplug/plugins/azure/cmd/tokenplug-azure",
	"voicegain": "github.com/tokenplug/tokenplug/plugins/voicegain/cmd/tokenplug-voicegain",
	"fault":     "github.com/tokenplug/tokenplug/internal/faultplugin",
}

// Plugins returns a pkgs map for Main holding the named built-in binaries
// (symphony, iam, azure, voicegain, fault); a caller may add its own
// entries. An unknown name makes Main fail.
func Plugins(names ...string) map[string]string {
	pkgs := make(map[string]string, len(names))
	for _, n := range names {
		pkgs[n] = builtin[n]
	}
	return pkgs
}

func run(m *testing.M, bins, pkgs map[string]string) int {
	dir, err := os.MkdirTemp("", "tokenplug-testbin")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testbin:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	for name, pkg := range pkgs {
		if pkg == "" {
			fmt.Fprintf(os.Stderr, "testbin: no package for %q\n", name)
			return 1
		}
		path, err := Build(dir, name, pkg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testbin:", err)
			return 1
		}
		bins[name] = path
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			return 1
		}
	}
	return code
}

// Build compiles pkg into dir as tokenplug-<name> and returns its path.
func Build(dir, name, pkg string) (string, error) {
	out := filepath.Join(dir, "tokenplug-"+name)
	if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return out, nil
}

// Launch starts the plugin binary at path as a host does (see
// internal/launch) and returns its connection. The plugin is killed when
// the test ends.
func Launch(t *testing.T, path string) launch.Conn {
	t.Helper()
	p, conn, err := launch.Start(launch.Config{Cmd: exec.Command(path)})
	if err != nil {
		t.Fatalf("start plugin %s: %v", path, err)
	}
	t.Cleanup(p.Kill)
	return conn
}
