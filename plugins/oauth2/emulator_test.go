package oauth2

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/transport"
)

// hostSource registers the tokenplug-oauth2 binary in a real host under
// hosts (none: the provider has no hosts) and returns its source; every
// invalidation forces a fetch.
func hostSource(t *testing.T, settings map[string]string, hosts ...string) *host.Source {
	t.Helper()
	reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)), host.WithInvalidationWindow(0))
	t.Cleanup(func() { _ = reg.Close() })
	if err := reg.Register("idp", host.ProviderConfig{Path: testbin.Path("oauth2"), Hosts: hosts, Settings: settings}); err != nil {
		t.Fatal(err)
	}
	src, err := reg.Source("idp")
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func fresh(t *testing.T, src *host.Source) (*oauth2.Token, error) {
	t.Helper()
	src.Invalidate(nil)
	return src.Token(t.Context())
}

func startEmulator(t *testing.T, clients ...emulator.OAuth2Client) *emulator.OAuth2 {
	t.Helper()
	e := emulator.StartOAuth2()
	t.Cleanup(e.Close)
	for _, c := range clients {
		if err := e.AddClient(c); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// Through the host against the emulator: discovery from the issuer, then
// token exchange (RFC 8693) of a token the emulator issued.
func TestTheBinaryDiscoversTheEmulatorAndExchangesATokenThroughTheHost(t *testing.T) {
	e := startEmulator(t, emulator.OAuth2Client{ID: "gateway", Secret: testSecret}, emulator.OAuth2Client{ID: "user-app", Secret: "other-secret-1"})
	subject, err := e.IssueToken("user-app", "")
	if err != nil {
		t.Fatal(err)
	}
	src := hostSource(t, map[string]string{SettingIssuer: e.Issuer, SettingGrant: "token_exchange", SettingClientID: "gateway", SettingClientSecret: testSecret,
		SettingSubjectTokenFile: writeTemp(t, "subject", subject), SettingSubjectTokenType: emulator.TokenTypeAccessToken, SettingAudience: "https://api.example"})
	for range 2 {
		tok, err := fresh(t, src)
		if err != nil {
			t.Fatal(err)
		}
		claims, err := e.Claims(tok.AccessToken)
		if err != nil || claims["sub"] != "user-app" {
			t.Errorf("exchanged token: sub %v, err %v", claims["sub"], err)
		}
	}
	if e.Discoveries() != 1 {
		t.Errorf("%d discoveries, want one for the plugin's life", e.Discoveries())
	}
}

// Refresh rotation through the host: the rotated token is used next, and
// the emulator refuses the spent one.
func TestTheBinaryFollowsRefreshRotationThroughTheHost(t *testing.T) {
	e := startEmulator(t, emulator.OAuth2Client{ID: "app", Secret: testSecret})
	first, err := e.IssueRefreshToken("app", "")
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{SettingTokenURL: e.TokenURL(), SettingGrant: "refresh_token", SettingRefreshToken: first, SettingClientID: "app", SettingClientSecret: testSecret}
	src := hostSource(t, settings)
	for i := range 3 {
		if _, err := fresh(t, src); err != nil {
			t.Fatalf("refresh %d: %v", i+1, err)
		}
	}
	_, err = hostSource(t, settings).Token(t.Context())
	if !errors.Is(err, tokenplug.ErrPermanent) || !strings.Contains(err.Error(), "invalid_grant") || strings.Contains(err.Error(), first) {
		t.Errorf("the spent refresh token: %v, want a permanent invalid_grant not quoting it", err)
	}
}

// slow_down (RFC 8628 §3.5) with Retry-After is rate limited, across the
// plugin boundary.
func TestSlowDownIsRateLimitedThroughTheHost(t *testing.T) {
	e := startEmulator(t, emulator.OAuth2Client{ID: "app", Secret: testSecret})
	e.Faults.Set(emulator.Fault{Status: 400, RetryAfter: 5 * time.Second, Body: `{"error":"slow_down","error_description":"too fast"}`})
	_, err := hostSource(t, map[string]string{SettingTokenURL: e.TokenURL(), SettingClientID: "app", SettingClientSecret: testSecret}).Token(t.Context())
	if !errors.Is(err, tokenplug.ErrRateLimited) || tokenplug.RetryAfterOf(err) != 5*time.Second || !strings.Contains(err.Error(), "slow_down: too fast") {
		t.Errorf("err = %v (retry-after %v)", err, tokenplug.RetryAfterOf(err))
	}
}

// An Entra-style claims challenge is answered: the emulator copies the
// requested claims into the token it issues.
func TestAClaimsChallengeReachesTheServerAsTheClaimsParameter(t *testing.T) {
	e := startEmulator(t, emulator.OAuth2Client{ID: "app", Secret: testSecret})
	ts := plugintestConfigure(t, map[string]string{SettingTokenURL: e.TokenURL(), SettingClientID: "app", SettingClientSecret: testSecret})
	tok, err := ts.TokenForChallenge(t.Context(), tokenplug.Challenge{Error: "insufficient_claims", Claims: `{"access_token":{"xms_cc":{"values":["cp1"]}}}`})
	if err != nil {
		t.Fatal(err)
	}
	reqs := e.Requests()
	if got := reqs[len(reqs)-1].Claims; !strings.Contains(got, "cp1") {
		t.Errorf("the server saw claims %q", got)
	}
	if c, err := e.Claims(tok.AccessToken); err != nil || c["xms_cc"] == nil {
		t.Errorf("token claims %v, %v", c, err)
	}
}

// No default hosts: a request through a transport on a provider without
// hosts fails closed, and the error says to configure hosts.
func TestWithoutHostsTheTokenGoesNowhere(t *testing.T) {
	e := startEmulator(t, emulator.OAuth2Client{ID: "app", Secret: testSecret})
	src := hostSource(t, map[string]string{SettingTokenURL: e.TokenURL(), SettingClientID: "app", SettingClientSecret: testSecret})
	var got atomic.Int64
	api := newAPI(t, func(r *http.Request) { got.Add(int64(len(r.Header.Get("Authorization")))) })
	resp, err := (&http.Client{Transport: transport.New(http.DefaultTransport, src)}).Get(api.URL)
	if err == nil {
		resp.Body.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "configure its hosts") || !strings.Contains(err.Error(), `"idp"`) || got.Load() != 0 {
		t.Errorf("err = %v; the API saw %d bytes of Authorization", err, got.Load())
	}
}
