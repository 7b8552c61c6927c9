//go:build unix

package host_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin"
)

// evilTrailer marks a copy of the fault plugin as not the pinned binary;
// the plugin reports it when it receives Configure (see faultplugin).
const evilTrailer = "\nEVIL-FAULTPLUGIN-TRAILER\n"

func TestSHA256PinCannotBeRacedBySwappingTheBinary(t *testing.T) {
	dir := t.TempDir()
	good, evil := filepath.Join(dir, "good"), filepath.Join(dir, "evil")
	sum := copyFile(t, testbin.Path("fault"), good, "")
	copyFile(t, testbin.Path("fault"), evil, evilTrailer)
	path := filepath.Join(dir, "tokenplug-fault")
	if err := os.Link(good, path); err != nil {
		t.Fatal(err)
	}
	marks := t.TempDir()

	// Swap the binary at path between the pinned one and the evil one, as
	// fast as renames go, while the host starts plugins from path.
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			for _, src := range []string{evil, good} {
				tmp := path + ".tmp"
				_ = os.Remove(tmp)
				if err := os.Link(src, tmp); err != nil {
					t.Error(err)
					return
				}
				if err := os.Rename(tmp, path); err != nil {
					t.Error(err)
					return
				}
			}
		}
	})
	defer wg.Wait()
	defer stop.Store(true)

	cfg := host.ProviderConfig{
		Path:     path,
		SHA256:   sum,
		Args:     []string{"--record-configure=" + marks},
		Settings: map[string]string{"behavior": "ok"},
	}
	started, refused := 0, 0
	for i := 0; i < 200 && (started < 8 || refused < 8); i++ {
		err := startOnce(t, cfg)
		switch {
		case err == nil:
			started++
		case errors.Is(err, plugin.ErrConfig) && strings.Contains(err.Error(), "plugin "+path+" does not match its sha256 pin"):
			refused++
		default:
			t.Fatalf("start %d: %v, want a token or a sha256 mismatch naming %s", i, err, path)
		}
	}
	stop.Store(true)
	wg.Wait()
	entries, err := os.ReadDir(marks)
	if err != nil {
		t.Fatal(err)
	}
	configured := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "evil-") {
			t.Errorf("a binary that is not the pinned one received Configure (%s)", e.Name())
		}
		configured++
	}
	t.Logf("%d starts, %d refused, %d Configure calls recorded", started, refused, configured)
	if started == 0 || refused == 0 || configured != started {
		t.Fatalf("the swap was not exercised: %d starts, %d refused, %d configured", started, refused, configured)
	}
}

// startOnce starts a plugin for cfg in a new registry, fetches a token and
// stops it.
func startOnce(t *testing.T, cfg host.ProviderConfig) error {
	reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)))
	defer reg.Close()
	if err := reg.Register("p", cfg); err != nil {
		t.Fatal(err)
	}
	_, err := reg.Token(ctxT(t), "p")
	return err
}

// copyFile copies the executable src to dst with trailer appended, and
// returns the copy's hex SHA-256 digest.
func copyFile(t *testing.T, src, dst, trailer string) string {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, h), io.MultiReader(in, strings.NewReader(trailer)))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestSHA256PinAppliesToAScriptThatRunsThePlugin(t *testing.T) {
	script := filepath.Join(t.TempDir(), "tokenplug-wrapped")
	body := "#!/bin/sh\nexec " + testbin.Path("fault") + " \"$@\"\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	reg, _ := newRegistry(t)
	src := mustSource(t, reg, "p", host.ProviderConfig{Path: script, SHA256: hex.EncodeToString(sum[:]), Settings: map[string]string{"behavior": "ok"}})
	if _, err := src.Token(ctxT(t)); err != nil {
		t.Fatalf("pinned script: %v", err)
	}
}
