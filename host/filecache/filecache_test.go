package filecache_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/filecache"
)

var _ host.SharedCache = (*filecache.Cache)(nil)

// fetcher counts its calls and returns a new token each time, valid for an
// hour with a refresh point at 45 minutes of now.
type fetcher struct {
	n   atomic.Int64
	now time.Time
}

func (f *fetcher) fetch(context.Context) (*oauth2.Token, error) {
	n := f.n.Add(1)
	tok := &oauth2.Token{AccessToken: "tok-" + string(rune('a'+n)), TokenType: "Bearer", Expiry: f.now.Add(time.Hour)}
	return tokenplug.WithRefreshAt(tok, f.now.Add(45*time.Minute)), nil
}

func newCache(t *testing.T, dir string, now *time.Time) *filecache.Cache {
	t.Helper()
	c, err := filecache.New(filecache.Config{Dir: dir, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTokenIsFetchedOnceUntilItsRefreshPoint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	now := time.Now()
	f := &fetcher{now: now}
	c := newCache(t, dir, &now)
	key := c.Key("iam", map[string]string{"apikey": "SECRET"})
	if strings.Contains(key, "SECRET") || !strings.HasPrefix(key, "iam-") {
		t.Fatalf("key %q", key)
	}
	if key == c.Key("iam", map[string]string{"apikey": "SECRET2"}) {
		t.Fatal("another setting gives the same key")
	}
	first, _ := c.Token(context.Background(), key, "", f.fetch)
	// Another process: another Cache on the same directory.
	got, _ := newCache(t, dir, &now).Token(context.Background(), key, "", f.fetch)
	if got.AccessToken != first.AccessToken || f.n.Load() != 1 || tokenplug.RefreshAtOf(got).IsZero() {
		t.Fatalf("second call: %v, %d fetches", got.AccessToken, f.n.Load())
	}
	if got, _ := c.Token(context.Background(), key, first.AccessToken, f.fetch); got.AccessToken == first.AccessToken {
		t.Error("a rejected token came back from the cache")
	}
	now = now.Add(46 * time.Minute)
	if c.Token(context.Background(), key, "", f.fetch); f.n.Load() != 3 {
		t.Errorf("a token past its refresh point was reused (%d fetches)", f.n.Load())
	}
}

func TestConcurrentCallersFetchOnce(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	f := &fetcher{now: now}
	var wg sync.WaitGroup
	for range 10 {
		c := newCache(t, dir, &now)
		wg.Go(func() { c.Token(context.Background(), c.Key("iam", nil), "", f.fetch) })
	}
	wg.Wait()
	if n := f.n.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}

func TestAValueSealedUnderAnotherKeyOrNameIsIgnored(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	f := &fetcher{now: now}
	c := newCache(t, dir, &now)
	a, b := c.Key("iam", map[string]string{"k": "a"}), c.Key("iam", map[string]string{"k": "b"})
	c.Token(context.Background(), a, "", f.fetch)
	// Copy a's value under b's name: bound to its key, it does not open.
	data, err := os.ReadFile(filepath.Join(dir, a+".token"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, b+".token"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if c.Token(context.Background(), b, "", f.fetch); f.n.Load() != 2 {
		t.Errorf("a value copied under another name was used")
	}
	// A new key file: every old value is garbage.
	os.Remove(filepath.Join(dir, "key"))
	c2 := newCache(t, dir, &now)
	if c2.Token(context.Background(), c2.Key("iam", map[string]string{"k": "a"}), "", f.fetch); f.n.Load() != 3 {
		t.Errorf("a value sealed under another key was used")
	}
}

func TestUnsafeDirectoriesAndFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := filecache.New(filecache.Config{Dir: dir}); err == nil || !strings.Contains(err.Error(), "writable by others") {
		t.Errorf("a world-writable directory: %v", err)
	}
	dir = t.TempDir()
	if _, err := filecache.New(filecache.Config{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	if err := os.Chmod(filepath.Join(dir, "key"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := filecache.New(filecache.Config{Dir: dir}); err == nil || !strings.Contains(err.Error(), "open to others") {
		t.Errorf("a readable key file: %v", err)
	}
	// A symbolic link in place of the key file is not followed.
	os.Remove(filepath.Join(dir, "key"))
	os.Symlink("/etc/hostname", filepath.Join(dir, "key"))
	if _, err := filecache.New(filecache.Config{Dir: dir}); err == nil {
		t.Error("a symlinked key file was accepted")
	}
}

func TestDefaultDirFollowsXDG(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/x/cache")
	if d, _ := filecache.DefaultDir(); d != "/x/cache/tokenplug" {
		t.Errorf("DefaultDir %q", d)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if d, _ := filecache.DefaultDir(); d != "/home/u/.cache/tokenplug" {
		t.Errorf("DefaultDir %q", d)
	}
}
