// Package testbin builds the programs that tests run as separate processes
// (plugin binaries, helper hosts), once per test binary. It is for tests
// only.
//
// A package's TestMain calls Main with what to build; its tests find a
// binary by name with Path:
//
//	func TestMain(m *testing.M) { testbin.Main(m, testbin.Plugins("iam")) }
//	...
//	host.ProviderConfig{Path: testbin.Path("iam")}
package testbin

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// Main is a TestMain body: it builds each of pkgs (name to package: an
// import path, or a directory relative to the test's package directory)
// into a temporary directory, records where for Path, runs the tests,
// fails the run if goroutines leaked, removes the binaries and exits.
func Main(m *testing.M, pkgs map[string]string) {
	os.Exit(run(m, pkgs))
}

// built maps the names Main built to their binaries' paths. One test
// binary is one process with one TestMain: Main fills the map before
// m.Run and nothing writes it afterwards, so the tests, parallel ones
// included, read it without a lock.
var built map[string]string

// Path returns the path of the binary Main built under name. It panics,
// naming the binary, if Main built none by that name: a test that runs a
// binary its package's TestMain does not list fails at once, saying
// which.
func Path(name string) string {
	path, ok := built[name]
	if !ok {
		panic(fmt.Sprintf("testbin: no binary %q: list it in the testbin.Main call of this package's TestMain (built: %v)",
			name, slices.Sorted(maps.Keys(built))))
	}
	return path
}

// builtin maps the names Plugins knows to their package paths.
var builtin = map[string]string{
	"symphony":  "github.com/tokenplug/tokenplug/plugins/symphony/cmd/tokenplug-symphony",
	"iam":       "github.com/tokenplug/tokenplug/plugins/iam/cmd/tokenplug-iam",
	"azure":     "github.com/tokenplug/tokenplug/plugins/azure/cmd/tokenplug-azure",
	"voicegain": "github.com/tokenplug/tokenplug/plugins/voicegain/cmd/tokenplug-voicegain",
	"oauth2":    "github.com/tokenplug/tokenplug/plugins/oauth2/cmd/tokenplug-oauth2",
	"fault":     "github.com/tokenplug/tokenplug/internal/faultplugin",
	"exec":      "github.com/tokenplug/tokenplug/plugins/exec/cmd/tokenplug-exec",
	"rotate":    "github.com/tokenplug/tokenplug/internal/rotation/cmd/tokenplug-rotate",
}

// Plugins returns a pkgs map for Main holding the named built-in binaries
// (symphony, iam, azure, voicegain, oauth2, fault, exec); a caller may add its own
// entries, such as a helper program of its package. An unknown name
// makes Main fail.
func Plugins(names ...string) map[string]string {
	pkgs := make(map[string]string, len(names))
	for _, n := range names {
		pkgs[n] = builtin[n]
	}
	return pkgs
}

func run(m *testing.M, pkgs map[string]string) int {
	if fuzzWorker() {
		return m.Run() // a fuzz worker runs the fuzz function only: no binaries to build
	}
	dir, err := os.MkdirTemp("", "tokenplug-testbin")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testbin:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	built = make(map[string]string, len(pkgs))
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
		built[name] = path
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

// fuzzWorker reports whether this process is a worker go test -fuzz
// started: it runs the fuzz target alone, over and over, and must start
// fast. Fuzz targets must not run the binaries Main builds.
func fuzzWorker() bool {
	return slices.ContainsFunc(os.Args[1:], func(a string) bool {
		return a == "-test.fuzzworker" || strings.HasPrefix(a, "-test.fuzzworker=")
	})
}
