//go:build unix

package host_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/rotation"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// rotateConfig is the rotation plugin against srv, careless (it logs and
// echoes its refresh token), writing its pid to the returned file.
func rotateConfig(t *testing.T, srv *rotation.Server, extra ...string) (host.ProviderConfig, string) {
	t.Helper()
	pidFile := filepath.Join(t.TempDir(), "pid")
	settings := map[string]string{"token_url": srv.URL, "refresh_token": srv.Initial(), "careless": "true", "pid_file": pidFile}
	for i := 0; i+1 < len(extra); i += 2 {
		settings[extra[i]] = extra[i+1]
	}
	return host.ProviderConfig{Path: testbin.Path("rotate"), Hosts: []string{"127.0.0.1"}, Settings: settings}, pidFile
}

// killPlugin SIGKILLs the plugin whose pid is in pidFile and waits for it
// to be gone.
func killPlugin(t *testing.T, pidFile string) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid := mustAtoi(t, string(b))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
}

// usedInOrder checks the server saw exactly want (indices into Issued, 1
// the initial refresh token) and refused nothing.
func usedInOrder(t *testing.T, srv *rotation.Server, want ...int) {
	t.Helper()
	issued, used := srv.Issued(), srv.Used()
	var names []string
	for _, u := range used {
		names = append(names, "rt-"+strconv.Itoa(indexOf(issued, u)+1))
	}
	var wantNames []string
	for _, w := range want {
		wantNames = append(wantNames, "rt-"+strconv.Itoa(w))
	}
	if strings.Join(names, ",") != strings.Join(wantNames, ",") || srv.Refused() != 0 {
		t.Fatalf("the server saw %v (%d refused), want %v and none refused", names, srv.Refused(), wantNames)
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -2 // shows as rt--1: not one the server issued
}

func TestARotatedRefreshTokenSurvivesPluginKills(t *testing.T) {
	for name, args := range map[string][]string{
		"many instances per process": nil,
		"a single-instance plugin":   {"--single-instance"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := rotation.Start("kill")
			t.Cleanup(srv.Close)
			reg, logs := newRegistry(t, host.WithInvalidationWindow(0)) // each round invalidates once
			cfg, pidFile := rotateConfig(t, srv)
			cfg.Args = args
			src := mustSource(t, reg, "rot", cfg)
			tok := mustToken(t, src)
			usedInOrder(t, srv, 1)
			for round := 2; round <= 3; round++ {
				// RFC 6749 §6 with rotation: the spent refresh token is
				// refused, so the restarted plugin must be configured
				// with the new one.
				killPlugin(t, pidFile)
				src.Invalidate(tok) // as a 401 would: the next call needs the plugin
				tok = mustToken(t, src)
				usedInOrder(t, srv, seq(round)...)
			}
			reg.Close() // flushes the plugin's last log lines
			for _, rt := range srv.Issued() {
				if leak := findLeak(logs.String(), rt); leak != "" {
					t.Errorf("the log shows %q, part of a refresh token", leak)
				}
			}
			if !strings.Contains(logs.String(), "[REDACTED]") {
				t.Error("nothing was redacted: does the careless plugin log its refresh token?")
			}
		})
	}
}

// seq returns 1..n.
func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

func TestTheSourcesTokenCarriesNoSettingsUpdate(t *testing.T) {
	srv := rotation.Start("extra")
	t.Cleanup(srv.Close)
	reg, _ := newRegistry(t)
	cfg, _ := rotateConfig(t, srv)
	tok := mustToken(t, mustSource(t, reg, "rot", cfg))
	if got := tok.Extra(tokenplug.ExtraSettingsUpdate); got != nil {
		t.Errorf("the published token carries a settings update: %T", got)
	}
	if tok.RefreshToken != "" || tok.AccessToken != "extra-at-1" {
		t.Errorf("token %q with refresh token set %v, want extra-at-1 and none", tok.AccessToken, tok.RefreshToken != "")
	}
	assertNoRefreshToken(t, srv, tok)
}

// assertNoRefreshToken fails if any of tok's fields or extras (as far as
// tokenplug defines them) shows a refresh token srv issued.
func assertNoRefreshToken(t *testing.T, srv *rotation.Server, tok *oauth2.Token) {
	t.Helper()
	text := tok.AccessToken + tok.TokenType + tok.RefreshToken + tokenplug.HeaderOf(tok)
	for _, rt := range srv.Issued() {
		if strings.Contains(text, rt) {
			t.Errorf("the published token shows a refresh token")
		}
	}
}

func TestAnUpdateOfAnUndeclaredSettingIsRefusedNamingItAndNotApplied(t *testing.T) {
	srv := rotation.Start("undeclared")
	t.Cleanup(srv.Close)
	reg, logs := newRegistry(t)
	cfg, pidFile := rotateConfig(t, srv, "update_key", "stolen_setting")
	src := mustSource(t, reg, "rot", cfg)
	_, err := src.Token(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), `"stolen_setting"`) {
		t.Fatalf("error %v, want one naming the undeclared key", err)
	}
	for _, rt := range srv.Issued() {
		if leak := findLeak(err.Error()+logs.String(), rt); leak != "" {
			t.Errorf("the error or log shows %q, part of a refresh token", leak)
		}
	}
	// Not applied: a restarted plugin is configured as the user said,
	// with the initial refresh token (spent now, so refused).
	killPlugin(t, pidFile)
	if _, err := src.Token(ctxT(t)); err == nil {
		t.Fatal("a fetch after the refused update succeeded")
	}
	if used := srv.Used(); len(used) != 2 || used[1] != srv.Initial() {
		t.Errorf("after the refused update the plugin presented %d refresh tokens, want the initial one again", len(used))
	}
}

// RFC 6749 §5.2: a refused rotated refresh token (invalid_grant) that a
// careless plugin echoes, raw, in base64 and hex, is scrubbed from the
// error the caller gets and from the log.
func TestARefusedRotatedRefreshTokenIsScrubbedFromTheError(t *testing.T) {
	srv := rotation.Start("refused")
	t.Cleanup(srv.Close)
	reg, logs := newRegistry(t, host.WithInvalidationWindow(0))
	cfg, _ := rotateConfig(t, srv)
	src := mustSource(t, reg, "rot", cfg)
	tok := mustToken(t, src)
	srv.RevokeAll()
	src.Invalidate(tok)
	_, err := src.Token(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("error %v, want the server's invalid_grant", err)
	}
	if used := srv.Used(); len(used) != 2 || used[1] != srv.Issued()[1] {
		t.Fatalf("the refused fetch did not present the rotated refresh token")
	}
	reg.Close()
	for _, rt := range srv.Issued() {
		if leak := findLeak(err.Error()+logs.String(), rt); leak != "" {
			t.Errorf("the error or log shows %q, part of a refresh token:\n%s", leak, err)
		}
	}
	if !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("nothing was redacted from %q: does the careless plugin echo its refresh token?", err)
	}
}

// racingCache is a SharedCache that keeps no token and whose settings
// update appears only from its second read on: another process rotated
// the refresh token between this host's read and its fetch (a lost lease).
type racingCache struct {
	reads  atomic.Int64
	update map[string]string
}

func (*racingCache) Key(string, map[string]string) string { return "k" }
func (*racingCache) Token(ctx context.Context, _, _ string, fetch func(context.Context) (*oauth2.Token, error)) (*oauth2.Token, error) {
	return fetch(ctx)
}
func (*racingCache) Close() error { return nil }
func (c *racingCache) Settings(context.Context, string) (uint64, map[string]string, error) {
	if c.reads.Add(1) == 1 {
		return 0, nil, nil
	}
	return 1, c.update, nil
}
func (*racingCache) StoreSettings(context.Context, string, uint64, map[string]string) error {
	return nil
}

// RFC 6749 §5.2 invalid_grant after another process spent the refresh
// token and stored its successor: the host adopts that and tries once more.
func TestARefusedFetchIsRetriedWithTheUpdateAnotherProcessStoredMeanwhile(t *testing.T) {
	srv := rotation.Start("race")
	t.Cleanup(srv.Close)
	next := spend(t, srv.URL, srv.Initial()) // the other process's rotation
	reg, _ := newRegistry(t, host.WithCache(&racingCache{update: map[string]string{"refresh_token": next}}))
	cfg, _ := rotateConfig(t, srv)
	if tok := mustToken(t, mustSource(t, reg, "rot", cfg)); tok.AccessToken != "race-at-2" {
		t.Fatalf("token %q, want race-at-2", tok.AccessToken)
	}
	if used := srv.Used(); len(used) != 3 || used[1] != srv.Initial() || used[2] != next {
		t.Errorf("the server saw %d refresh tokens; want the other process's, ours refused, then the adopted one", len(used))
	}
}

// spend refreshes with rt at tokenURL, as another process would, and
// returns the rotated refresh token.
func spend(t *testing.T, tokenURL, rt string) string {
	t.Helper()
	resp, err := http.PostForm(tokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.RefreshToken == "" {
		t.Fatalf("spend: %v", err)
	}
	return r.RefreshToken
}
