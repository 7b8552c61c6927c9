package plugintest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A test binary built with -trimpath has no runtime.GOROOT: the kit finds
// the go command on PATH, else in $GOROOT/bin, else says what to do.
func TestGoToolIsFoundWithoutRuntimeGOROOT(t *testing.T) {
	notOnPath := func(string) (string, error) { return "", errors.New("not found") }
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "go"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		if k == "GOROOT" {
			return root
		}
		return ""
	}
	if got, err := goTool(notOnPath, env); err != nil || got != filepath.Join(root, "bin", "go") {
		t.Errorf("goTool with GOROOT set = %q, %v; want %s/bin/go", got, err, root)
	}
	onPath := func(string) (string, error) { return "/usr/bin/go", nil }
	if got, _ := goTool(onPath, env); got != "/usr/bin/go" {
		t.Errorf("goTool prefers PATH: got %q", got)
	}
	_, err := goTool(notOnPath, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "PATH") || !strings.Contains(err.Error(), "GOROOT") {
		t.Errorf("goTool with neither = %v; want an error that says to set PATH or GOROOT", err)
	}
}
