package testbin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	Main(m, Plugins("fault"))
}

func TestPathIsTheBinaryMainBuilt(t *testing.T) {
	path := Path("fault")
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		t.Fatalf("Path(fault) = %s: %v, %v; want an executable file", path, fi, err)
	}
	if base := filepath.Base(path); base != "tokenplug-fault" {
		t.Errorf("binary named %s, want tokenplug-fault", base)
	}
}

// A test asking for a binary its TestMain did not build fails at once,
// the message naming the binary and what was built.
func TestPathPanicsNamingAMissingBinary(t *testing.T) {
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, `"iam"`) || !strings.Contains(msg, "[fault]") {
			t.Fatalf("panic %q, want one naming iam and the built fault", msg)
		}
	}()
	Path("iam")
	t.Fatal("Path(iam) returned")
}
