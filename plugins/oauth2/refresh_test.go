package oauth2

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// rotating answers refresh_token grants as a server with rotation and
// reuse detection does (RFC 9700 §4.14.2): each refresh token works once
// and is replaced by the next.
func rotating(srv *server) {
	current := "rt-0"
	srv.setAnswer(func(n int, form url.Values) (int, string) {
		if form.Get("refresh_token") != current {
			return 400, `{"error":"invalid_grant","error_description":"refresh token reused"}`
		}
		current = fmt.Sprintf("rt-%d", n)
		return 200, fmt.Sprintf(`{"access_token":"at-%d","token_type":"Bearer","expires_in":60,"refresh_token":%q}`, n, current)
	})
}

// RFC 6749 §6: a rotated refresh token replaces the spent one, and the
// token carries it as a settings update for the host to keep.
func TestARotatedRefreshTokenReplacesTheSpentOneAndIsHandedToTheHost(t *testing.T) {
	srv := newServer(t)
	rotating(srv)
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingTokenURL: srv.URL, SettingGrant: "refresh_token", SettingRefreshToken: "rt-0", SettingClientID: "c"})
	for i := 1; i <= 3; i++ {
		tok, err := ts.Token()
		if err != nil {
			t.Fatalf("fetch %d: %v", i, err)
		}
		if got := srv.last(t).form.Get("refresh_token"); got != fmt.Sprintf("rt-%d", i-1) {
			t.Errorf("fetch %d sent refresh token %q", i, got)
		}
		if up := plugin.SettingsUpdateOf(tok); up[SettingRefreshToken] != fmt.Sprintf("rt-%d", i) || len(up) != 1 {
			t.Errorf("fetch %d: settings update %v", i, up)
		}
		if tok.RefreshToken != "" {
			t.Errorf("the refresh token left the provider on the access token")
		}
	}
}

func TestARefreshWithoutANewRefreshTokenKeepsTheOldOne(t *testing.T) {
	srv := newServer(t)
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingTokenURL: srv.URL, SettingGrant: "refresh_token", SettingRefreshToken: "rt-0", SettingClientID: "c"})
	for range 2 {
		tok, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		if plugin.SettingsUpdateOf(tok) != nil || srv.last(t).form.Get("refresh_token") != "rt-0" {
			t.Errorf("update %v, sent %q", plugin.SettingsUpdateOf(tok), srv.last(t).form.Get("refresh_token"))
		}
	}
}

// Concurrent fetches (a default one and a challenged one, say) never
// spend the same refresh token twice.
func TestConcurrentRefreshesSpendEachRefreshTokenOnce(t *testing.T) {
	srv := newServer(t)
	rotating(srv)
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingTokenURL: srv.URL, SettingGrant: "refresh_token", SettingRefreshToken: "rt-0",
		SettingClientID: "c", SettingChallengeScopes: "extra"}).(*TokenSource)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = ts.Token()
			} else {
				_, err = ts.TokenForChallenge(t.Context(), plugin.Challenge{Error: "insufficient_scope", Scope: "extra"})
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// A refused refresh token is permanent and keeps the current one: the
// next attempt sends it again rather than nothing.
func TestARefusedRefreshIsPermanentAndKeepsTheRefreshToken(t *testing.T) {
	srv := newServer(t)
	srv.setAnswer(func(int, url.Values) (int, string) { return 400, `{"error":"invalid_grant"}` })
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingTokenURL: srv.URL, SettingGrant: "refresh_token", SettingRefreshToken: "rt-0", SettingClientID: "c"})
	for range 2 {
		_, err := ts.Token()
		if !errors.Is(err, plugin.ErrPermanent) {
			t.Errorf("err = %v, want permanent", err)
		}
		plugintest.CheckError(t, err, "tokenplug/oauth2: ", "rt-0")
	}
	if got := srv.last(t).form.Get("refresh_token"); got != "rt-0" {
		t.Errorf("sent %q after a refusal", got)
	}
}

// A caller that gives up while another request holds the refresh token
// gets its context's error, and the token stays usable.
func TestWaitingForTheRefreshTokenHonoursTheContext(t *testing.T) {
	r := newRefresher("rt-0")
	_, release, err := r.acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := r.acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("acquire with a cancelled context: %v", err)
	}
	release("rt-1")
	rt, release, err := r.acquire(t.Context())
	if err != nil || rt != "rt-1" {
		t.Errorf("after release: %q, %v", rt, err)
	}
	release("")
}

// RFC 6749 §6 and RFC 9700 §4.14.2: an answer refused for another reason
// (here a DPoP token type) that carried a new refresh token spent the old
// one: the next fetch sends the new one, and the error never shows it.
func TestARefusedAnswerThatRotatedTheRefreshTokenKeepsTheNewOne(t *testing.T) {
	srv := newServer(t)
	current := "rt-0"
	srv.setAnswer(func(n int, form url.Values) (int, string) {
		if form.Get("refresh_token") != current {
			return 400, `{"error":"invalid_grant","error_description":"refresh token reused"}`
		}
		current = fmt.Sprintf("rt-%d", n)
		typ := "Bearer"
		if n == 1 {
			typ = "DPoP"
		}
		return 200, fmt.Sprintf(`{"access_token":"at-%d","token_type":%q,"expires_in":60,"refresh_token":%q}`, n, typ, current)
	})
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingTokenURL: srv.URL, SettingGrant: "refresh_token", SettingRefreshToken: "rt-0", SettingClientID: "c"})
	_, err := ts.Token()
	if err == nil || !errors.Is(err, plugin.ErrPermanent) || strings.Contains(err.Error(), "rt-1") {
		t.Fatalf("first fetch = %v; want the permanent DPoP refusal, without the refresh token", err)
	}
	tok, err := ts.Token()
	if err != nil || srv.last(t).form.Get("refresh_token") != "rt-1" {
		t.Fatalf("second fetch = %v, %v, sent %q; want rt-1, the refresh token the refused answer rotated to", tok, err, srv.last(t).form.Get("refresh_token"))
	}
}
