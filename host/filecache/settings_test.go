package filecache_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/filecache"
)

var _ host.SettingsCache = (*filecache.Cache)(nil)

func TestASettingsUpdateIsKeptSealedForTheNextProcessNewestFirst(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	now := time.Now()
	ctx := context.Background()
	c := newCache(t, dir, &now)
	key := c.Key("oauth2", map[string]string{"refresh_token": "rt-1-SECRET"})
	if gen, s, err := c.Settings(ctx, key); gen != 0 || s != nil || err != nil {
		t.Fatalf("empty cache: %d %v %v", gen, s, err)
	}
	if err := c.StoreSettings(ctx, key, 2, map[string]string{"refresh_token": "rt-3-SECRET"}); err != nil {
		t.Fatal(err)
	}
	// Of two processes that rotated at once, the older update loses.
	if err := c.StoreSettings(ctx, key, 1, map[string]string{"refresh_token": "rt-2-SECRET"}); err != nil {
		t.Fatal(err)
	}
	gen, s, err := newCache(t, dir, &now).Settings(ctx, key) // another process
	if err != nil || gen != 2 || s["refresh_token"] != "rt-3-SECRET" {
		t.Fatalf("another process read %d %v %v, want generation 2 and rt-3", gen, s, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, key+".settings"))
	if err != nil || strings.Contains(string(b), "SECRET") || strings.Contains(string(b), "refresh_token") {
		t.Errorf("the settings file holds the update in the clear (%v)", err)
	}
	// Bound to its key: copied under another, it does not open.
	other := c.Key("oauth2", map[string]string{"refresh_token": "other"})
	if err := os.WriteFile(filepath.Join(dir, other+".settings"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if gen, s, _ := c.Settings(ctx, other); gen != 0 || s != nil {
		t.Errorf("a copied settings file opened under another key: %d", gen)
	}
	// A key that is not the cache's (a path) is refused, never a file.
	if err := c.StoreSettings(ctx, "../x", 1, map[string]string{"a": "b"}); err == nil {
		t.Error("stored under a path")
	}
}

func TestASettingsFileOpenToOthersIsIgnored(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	now := time.Now()
	ctx := context.Background()
	c := newCache(t, dir, &now)
	key := c.Key("oauth2", nil)
	if err := c.StoreSettings(ctx, key, 1, map[string]string{"refresh_token": "rt-SECRET"}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, key+".settings"), 0o644); err != nil {
		t.Fatal(err)
	}
	if gen, s, err := c.Settings(ctx, key); gen != 0 || s != nil || err != nil {
		t.Errorf("a world-readable settings file was used: %d %v", gen, err)
	}
}
