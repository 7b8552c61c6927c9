package host

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
)

// The Linux start path uses a sealed memory file; privateCopy is the
// fallback, and the only path elsewhere.
func TestPrivateCopyIsPrivateHashedAndRemoved(t *testing.T) {
	src := filepath.Join(t.TempDir(), "tokenplug-x")
	data := []byte("#!/bin/sh\necho plugin\n")
	if err := os.WriteFile(src, data, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cp, sum, err := privateCopy(f)
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256(data); string(sum) != string(want[:]) {
		t.Errorf("digest %x, want %x", sum, want)
	}
	dir, err := os.Stat(filepath.Dir(cp.path))
	if err != nil || dir.Mode().Perm() != 0o700 {
		t.Errorf("copy's directory: %v, %v; want mode 0700", dir.Mode(), err)
	}
	if got, err := os.ReadFile(cp.path); err != nil || string(got) != string(data) {
		t.Errorf("copy holds %q, %v", got, err)
	}
	cp.close()
	if _, err := os.Stat(filepath.Dir(cp.path)); !os.IsNotExist(err) {
		t.Errorf("copy not removed: %v", err)
	}
}
