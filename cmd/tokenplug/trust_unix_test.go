//go:build unix

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestAConfigPlantedByAnotherUserRunsNothing: without --config, tokenplug
// reads ./tokenplug.yaml. In a shared directory another user (uid 4242,
// set with os.Chown: the tests run as root) plants one whose provider
// runs ./helper.sh. tokenplug refuses the file, naming it, its owner and
// mode, and the helper never runs; $TOKENPLUG_TRUST is the opt-in, under
// which the helper does run (the control: the marker would show it).
func TestAConfigPlantedByAnotherUserRunsNothing(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	helper := filepath.Join(dir, "helper.sh")
	if err := os.WriteFile(helper, []byte("#!/bin/sh\necho ran > '"+marker+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "tokenplug.yaml")
	if err := os.WriteFile(cfg, []byte("providers:\n  p:\n    plugin: planted\n    hosts: [api.example.test]\n    path: ./helper.sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(cfg, 4242, 4242); err != nil {
		t.Skipf("cannot give a file to another user (run the tests as root): %v", err)
	}
	for _, args := range [][]string{{"token", "p"}, {"check"}, {"get", "https://api.example.test/"}} {
		r := tp(t, dir, nil, args...)
		r.wantError(t, 2, "tokenplug.yaml", "owner uid 4242", "mode -rw-r--r--", "TOKENPLUG_TRUST")
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("tokenplug %v ran the planted helper", args)
		}
	}
	r := tp(t, dir, []string{"TOKENPLUG_TRUST=" + dir}, "token", "p")
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("with TOKENPLUG_TRUST the helper did not run (status %d, stderr %s): the check above proves nothing", r.code, r.stderr)
	}
}
