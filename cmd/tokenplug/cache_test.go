package main

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// iamDir returns a directory with a tokenplug.yaml whose provider "w"
// fetches from a fresh IAM emulator with the API key in $IBM_APIKEY, and
// the environment that sets it (key1, accepted) and puts the cache in the
// directory's "cache".
func iamDir(t *testing.T) (dir string, idp *emulator.IAM, env []string) {
	t.Helper()
	idp = emulator.StartIAM()
	t.Cleanup(idp.Close)
	idp.AddAPIKey("key1-SECRET")
	idp.AddAPIKey("key2-SECRET")
	dir = t.TempDir()
	writeFile(t, dir, "tokenplug.yaml", `providers:
  w:
    plugin: iam
    hosts: ["127.0.0.1"]
    settings:
      apikey: ${IBM_APIKEY}
      token_url: `+idp.URL+`
`)
	return dir, idp, []string{"IBM_APIKEY=key1-SECRET", "XDG_CACHE_HOME=" + filepath.Join(dir, "cache")}
}

func rawToken(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	r := tp(t, dir, env, append([]string{"token", "w", "--raw"}, args...)...)
	if r.code != 0 {
		t.Fatalf("token: status %d: %s", r.code, r.stderr)
	}
	return strings.TrimSuffix(r.stdout, "\n")
}

func TestTokenCache100CallsFetchOnce(t *testing.T) {
	dir, idp, env := iamDir(t)
	first := rawToken(t, dir, env)
	for range 99 {
		if got := rawToken(t, dir, env); got != first {
			t.Fatal("a cached call returned another token")
		}
	}
	if n := idp.Issued(); n != 1 {
		t.Fatalf("100 calls fetched %d tokens upstream, want 1", n)
	}
	if err := idp.Verify(first); err != nil {
		t.Fatalf("cached token: %v", err)
	}

	if rawToken(t, dir, env, "--no-cache"); idp.Issued() != 2 {
		t.Errorf("--no-cache: %d fetches, want 2", idp.Issued())
	}
	refreshed := rawToken(t, dir, env, "--refresh")
	if idp.Issued() != 3 || refreshed == first {
		t.Errorf("--refresh: %d fetches, want 3 and a new token", idp.Issued())
	}
	if got := rawToken(t, dir, env); got != refreshed || idp.Issued() != 3 {
		t.Errorf("after --refresh the cache does not hold the new token (%d fetches)", idp.Issued())
	}

	// A changed credential never reuses the old token.
	env2 := []string{"IBM_APIKEY=key2-SECRET", env[1]}
	if got := rawToken(t, dir, env2); got == refreshed || idp.Issued() != 4 {
		t.Errorf("another apikey reused the cached token (%d fetches)", idp.Issued())
	}
	assertPrivateCache(t, filepath.Join(dir, "cache", "tokenplug"), "key1-SECRET", "key2-SECRET", first, refreshed)
}

// assertPrivateCache checks the directory is 0700, its files 0600, and
// that no file name or content holds a secret or a token in the clear, nor
// any 8-byte piece of one or of its base64 or base64url encoding.
func assertPrivateCache(t *testing.T, cache string, secrets ...string) {
	t.Helper()
	fi, err := os.Stat(cache)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("cache directory mode %04o, want 0700", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(cache)
	if err != nil || len(entries) < 2 {
		t.Fatalf("cache holds %d files (%v)", len(entries), err)
	}
	for _, e := range entries {
		fi, _ := e.Info()
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", e.Name(), fi.Mode().Perm())
		}
		b, _ := os.ReadFile(filepath.Join(cache, e.Name()))
		if strings.Contains(e.Name()+string(b), "SECRET") || bytes.Contains(b, []byte("eyJ")) {
			t.Errorf("%s holds a secret or a token in the clear", e.Name())
		}
		for i, v := range secrets {
			for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v))} {
				if plugintest.ContainsPart(e.Name()+string(b), form) {
					t.Errorf("%s holds a piece of secret or token #%d, or of its base64", e.Name(), i)
				}
			}
		}
	}
}

func TestTokenCacheConcurrentCallsFetchOnce(t *testing.T) {
	dir, idp, env := iamDir(t)
	var wg sync.WaitGroup
	toks := make([]string, 10)
	for i := range toks {
		wg.Go(func() { toks[i] = rawToken(t, dir, env) })
	}
	wg.Wait()
	if n := idp.Issued(); n != 1 {
		t.Fatalf("10 concurrent calls fetched %d tokens upstream, want 1", n)
	}
	for _, tok := range toks {
		if tok != toks[0] {
			t.Fatal("concurrent calls got different tokens")
		}
	}
}

func TestTokenCacheIgnoresATamperedFile(t *testing.T) {
	dir, idp, env := iamDir(t)
	first := rawToken(t, dir, env)
	files, _ := filepath.Glob(filepath.Join(dir, "cache", "tokenplug", "iam-*.token"))
	if len(files) != 1 {
		t.Fatalf("token files: %q", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1
	if err := os.WriteFile(files[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	got := rawToken(t, dir, env)
	if got == first || idp.Issued() != 2 {
		t.Fatalf("a tampered cache file was used (%d fetches)", idp.Issued())
	}
	if err := idp.Verify(got); err != nil {
		t.Fatal(err)
	}
}

func TestTokenCacheRefusesAnUnsafeDirectory(t *testing.T) {
	dir, idp, env := iamDir(t)
	cache := filepath.Join(dir, "cache", "tokenplug")
	if err := os.MkdirAll(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cache, 0o777); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		r := tp(t, dir, env, "token", "w", "--raw")
		if r.code != 0 || !strings.Contains(r.stderr, "warning: token cache not used") || !strings.Contains(r.stderr, "writable by others") {
			t.Fatalf("status %d, stderr %q", r.code, r.stderr)
		}
	}
	if n := idp.Issued(); n != 2 {
		t.Errorf("%d fetches, want 2 (no cache)", n)
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Errorf("files written to an unsafe directory: %v", entries)
	}
}

// A config's warm: true is for long-running applications: a CLI call
// starts only the plugin it uses, and none on a cache hit.
func TestTokenStartsNoOtherPluginEvenWithWarm(t *testing.T) {
	dir, _, env := iamDir(t)
	cfg, err := os.ReadFile(filepath.Join(dir, "tokenplug.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// "other" runs a script that leaves a mark when it is started (with
	// shell builtins only: plugins run with an empty environment).
	writeFile(t, dir, "other.sh", "#!/bin/sh\n: >\"${0%/*}/started\"\nexit 1\n")
	if err := os.Chmod(filepath.Join(dir, "other.sh"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "tokenplug.yaml", "warm: true\n"+string(cfg)+
		"  other:\n    path: ./other.sh\n    hosts: [\"127.0.0.1\"]\n")
	for range 2 { // a fetch, then a cache hit
		rawToken(t, dir, env)
	}
	if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
		t.Error("token w started provider other's plugin")
	}
}

// get uses the token cache too, and a token its server refuses is
// replaced in the cache as well as on the request.
func TestGetUsesTheTokenCacheAndReplacesARefusedToken(t *testing.T) {
	dir, idp, env := iamDir(t)
	var mu sync.Mutex
	refused := map[string]bool{}
	var last string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		mu.Lock()
		defer mu.Unlock()
		if idp.Verify(tok) != nil || refused[tok] {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		last = tok
		io.WriteString(w, "ok")
	}))
	defer api.Close()
	get := func(args ...string) {
		t.Helper()
		r := tp(t, dir, env, append([]string{"get", "-f", api.URL}, args...)...)
		if r.code != 0 || r.stdout != "ok" {
			t.Fatalf("get: status %d, %q: %s", r.code, r.stdout, r.stderr)
		}
	}
	for range 5 {
		get()
	}
	if n := idp.Issued(); n != 1 {
		t.Fatalf("5 gets fetched %d tokens, want 1", n)
	}
	if get("--no-cache"); idp.Issued() != 2 {
		t.Fatalf("--no-cache: %d fetches, want 2", idp.Issued())
	}

	// The server now refuses the cached token: get fetches a new one, and
	// the cache holds it for the next call.
	mu.Lock()
	cached := rawToken(t, dir, env)
	refused[cached] = true
	mu.Unlock()
	get()
	mu.Lock()
	replaced := last
	mu.Unlock()
	if replaced == cached || idp.Issued() != 3 {
		t.Fatalf("after a 401: %d fetches, token replaced %v", idp.Issued(), replaced != cached)
	}
	if get(); idp.Issued() != 3 || rawToken(t, dir, env) != replaced {
		t.Errorf("the cache does not hold the replacing token (%d fetches)", idp.Issued())
	}
}
