package main

import (
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/internal/rotation"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// rotateDir returns a directory whose tokenplug.yaml names provider "r":
// the rotation plugin (in plugin_dir), careless (it logs and echoes its
// refresh token), against srv, with the refresh token from $RT; and the
// environment that sets $RT to srv's initial refresh token, puts the cache
// in the directory and logs at debug level.
func rotateDir(t *testing.T, srv *rotation.Server) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	installPlugin(t, dir, "rotate")
	writeFile(t, dir, "tokenplug.yaml", `plugin_dir: bin
providers:
  r:
    plugin: rotate
    hosts: ["127.0.0.1"]
    settings:
      token_url: `+srv.URL+`
      refresh_token: ${RT}
      careless: "true"
`)
	return dir, []string{"RT=" + srv.Initial(), "XDG_CACHE_HOME=" + filepath.Join(dir, "cache"), "TOKENPLUG_LOG_LEVEL=debug"}
}

// RFC 6749 §6 with rotation: each refresh spends the refresh token and
// issues the next; the spent one is refused (invalid_grant).
func TestTwoCLICallsInARowSucceedWhenTheRefreshTokenRotates(t *testing.T) {
	srv := rotation.Start("cli")
	t.Cleanup(srv.Close)
	dir, env := rotateDir(t, srv)
	var out []result
	run := func(args ...string) string {
		t.Helper()
		r := tp(t, dir, env, append([]string{"token", "r"}, args...)...)
		out = append(out, r)
		if r.code != 0 {
			t.Fatalf("token %q: status %d: %s", args, r.code, r.stderr)
		}
		return strings.TrimSpace(r.stdout)
	}
	if at := run("--raw"); at != "cli-at-1" {
		t.Fatalf("first call: %q", at)
	}
	if at := run("--raw"); at != "cli-at-1" {
		t.Errorf("second call: %q, want the cached cli-at-1", at)
	}
	if at := run("--raw", "--refresh"); at != "cli-at-2" {
		t.Errorf("--refresh: %q, want cli-at-2", at)
	}
	if at := run("--refresh"); !strings.Contains(at, `"cli-at-3"`) {
		t.Errorf("--refresh again: %s, want cli-at-3", at)
	}
	// check fetches too, and keeps what it rotated for the next call.
	r := tp(t, dir, env, "check", "--json")
	out = append(out, r)
	if r.code != 0 {
		t.Fatalf("check --json: status %d: %s", r.code, r.stderr)
	}
	if at := run("--raw", "--refresh"); at != "cli-at-5" {
		t.Errorf("--refresh after check: %q, want cli-at-5", at)
	}
	// --no-cache reads no token, but keeps the rotated refresh token: the
	// call after it works.
	if at := run("--raw", "--no-cache"); at != "cli-at-6" {
		t.Errorf("--no-cache: %q, want cli-at-6", at)
	}
	if at := run("--raw", "--refresh"); at != "cli-at-7" {
		t.Errorf("--refresh after --no-cache: %q, want cli-at-7", at)
	}
	issued := srv.Issued()
	if used := srv.Used(); strings.Join(used, ",") != strings.Join(issued[:7], ",") || srv.Refused() != 0 {
		t.Errorf("the server saw %d refresh tokens, %d refused; want the first 7 issued, in order, none refused", len(used), srv.Refused())
	}
	// No refresh token in anything the CLI printed (the plugin logs and
	// echoes them; the debug log shows the plugin's lines), nor in the
	// cache's files, in any encoding the redactor knows.
	for i, r := range out {
		for _, rt := range issued {
			noPiece(t, "output of run "+string(rune('1'+i)), r.stdout+r.stderr, rt)
		}
	}
	if !strings.Contains(out[0].stderr, "[REDACTED]") {
		t.Errorf("nothing was redacted: does the careless plugin's log reach the output?\n%s", out[0].stderr)
	}
	cache := filepath.Join(dir, "cache", "tokenplug")
	entries, err := os.ReadDir(cache)
	if err != nil {
		t.Fatal(err)
	}
	settingsFiles := 0
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(cache, e.Name()))
		for _, rt := range issued {
			noPiece(t, "cache file "+e.Name(), e.Name()+string(b), rt)
		}
		if strings.HasSuffix(e.Name(), ".settings") {
			settingsFiles++
		}
	}
	if settingsFiles != 1 {
		t.Errorf("the cache holds %d settings files, want 1", settingsFiles)
	}
}

// noPiece fails if text holds a piece of secret or of its base64,
// base64url, hex, URL-query or JSON form.
func noPiece(t *testing.T, where, text, secret string) {
	t.Helper()
	b := []byte(secret)
	for _, form := range []string{secret, base64.StdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b), hex.EncodeToString(b)} {
		if plugintest.ContainsPart(text, form) {
			t.Errorf("%s holds a piece of a refresh token or of an encoding of it (%q)", where, form)
		}
	}
}

// The built-in oauth2 provider against the emulator, which rotates refresh
// tokens and refuses spent ones (RFC 9700 §4.14.2): CLI calls in a row,
// with and without the cached token, all succeed.
func TestTheOAuth2ProvidersRotatingRefreshTokenWorksAcrossCLICalls(t *testing.T) {
	e := emulator.StartOAuth2()
	t.Cleanup(e.Close)
	if err := e.AddClient(emulator.OAuth2Client{ID: "app", Secret: "app-secret-0123456789"}); err != nil {
		t.Fatal(err)
	}
	first, err := e.IssueRefreshToken("app", "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "tokenplug.yaml", `providers:
  idp:
    plugin: oauth2
    hosts: ["127.0.0.1"]
    settings:
      token_url: `+e.TokenURL()+`
      grant: refresh_token
      refresh_token: ${RT}
      client_id: app
      client_secret: ${SECRET}
`)
	env := []string{"RT=" + first, "SECRET=app-secret-0123456789", "XDG_CACHE_HOME=" + filepath.Join(dir, "cache"), "TOKENPLUG_LOG_LEVEL=debug"}
	var seen []string
	for _, args := range [][]string{{"token", "idp", "--raw"}, {"token", "idp", "--raw"}, {"token", "idp", "--raw", "--refresh"}, {"check", "--json"}, {"token", "idp", "--refresh"}} {
		r := tp(t, dir, env, args...)
		if r.code != 0 {
			t.Fatalf("%q: status %d: %s", args, r.code, r.stderr)
		}
		noPiece(t, strings.Join(args, " "), r.stdout+r.stderr, first)
		seen = append(seen, r.stdout)
	}
	if seen[0] != seen[1] || seen[1] == seen[2] {
		t.Error("the second call did not reuse the cached token, or --refresh did not fetch a new one")
	}
	for _, r := range e.Requests() {
		if r.Error != "" {
			t.Errorf("the emulator refused a %s request: %s", r.GrantType, r.Error)
		}
	}
	if n := len(e.Requests()); n != 4 {
		t.Errorf("%d token requests, want 4 (first call, --refresh, check, --refresh)", n)
	}
}
