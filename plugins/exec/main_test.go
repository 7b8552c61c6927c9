package exec

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tokenplug/tokenplug/internal/testbin"
)

func TestMain(m *testing.M) {
	testbin.Main(m, map[string]string{"exec": "./cmd/tokenplug-exec", "helper": "./testdata/helper"})
}

// script writes a shell script with body into a new temporary directory
// and returns its path.
func script(t testing.TB, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "helper.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

// printing returns a command whose helper prints out, as it is.
func printing(t testing.TB, out string) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "out")
	if err := os.WriteFile(data, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return script(t, "cat '"+data+"'")
}
