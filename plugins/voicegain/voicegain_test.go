package voicegain_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
	"github.com/tokenplug/tokenplug/plugins/voicegain"
)

// configure runs settings through the schema and Configure, as Serve does.
func configure(t *testing.T, settings map[string]string) (oauth2.TokenSource, error) {
	return plugintest.Configure(t.Context(), voicegain.New(), settings)
}

func mustConfigure(t *testing.T, settings map[string]string) oauth2.TokenSource {
	t.Helper()
	return plugintest.MustConfigure(t, voicegain.New(), settings)
}

// recordingServer serves vg and remembers the last request to it.
type recordingServer struct {
	*httptest.Server
	*plugintest.Recorder
}

// newServer serves vg on loopback until the test ends.
func newServer(t *testing.T, vg *emulator.Voicegain) *recordingServer {
	rec := &plugintest.Recorder{Handler: vg}
	srv := &recordingServer{httptest.NewServer(rec), rec}
	t.Cleanup(srv.Close)
	return srv
}

// shortLived configures mode short_lived, audience *, against the
// Voicegain API served at url, with client.
func shortLived(t *testing.T, client *http.Client, console, url string) oauth2.TokenSource {
	t.Helper()
	return plugintest.MustConfigure(t, voicegain.Provider{Client: client}, shortLivedFor(console)(url))
}

// callASR calls the emulator's protected endpoint as a browser at origin.
func callASR(t *testing.T, srv *httptest.Server, tok *oauth2.Token, origin string) int {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+"/v1/asr/transcribe", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	tok.SetAuthHeader(req)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// signedJWT makes a JWT with the given claims, signed by a throwaway key:
// the provider never checks signatures.
func signedJWT(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("not-voicegains-key"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStaticModeSendsTheConsoleJWTWithoutExpiry(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := newServer(t, vg)

	ts := mustConfigure(t, map[string]string{"jwt": vg.ConsoleJWT() + "\n"})
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != vg.ConsoleJWT() || tok.Type() != "Bearer" || !tok.Expiry.IsZero() {
		t.Fatalf("token = %q %s expiry %v; want the console jwt, Bearer, no expiry", tok.AccessToken, tok.Type(), tok.Expiry)
	}
	if code := callASR(t, srv.Server, tok, ""); code != http.StatusOK {
		t.Errorf("protected endpoint with the static token: %d, want 200", code)
	}
	if vg.Issued() != 0 {
		t.Errorf("static mode asked for %d short-lived jwts, want 0", vg.Issued())
	}
}

func TestStaticModeHonoursTheConsoleJWTsExp(t *testing.T) {
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	ts := mustConfigure(t, map[string]string{"jwt": signedJWT(t, jwt.MapClaims{"exp": exp.Unix()})})
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry.Equal(exp) {
		t.Errorf("expiry = %v, want the exp claim %v", tok.Expiry, exp)
	}
}

func TestShortLivedModeAsksForTheConfiguredAudienceAndLifetime(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := newServer(t, vg)
	console := vg.ConsoleJWT()

	ts := mustConfigure(t, map[string]string{
		"jwt": console, "mode": "short_lived", "api_url": srv.URL + "/v1/",
		"audience": "*.Example.com", "lifetime": "1m30s",
	})
	before := time.Now()
	tok, err := ts.(plugin.ContextTokenSource).TokenContext(context.Background())
	after := time.Now()
	if err != nil {
		t.Fatal(err)
	}

	r, _ := srv.Last()
	if r.Method != "GET" || r.URL.Path != "/v1/security/jwt" {
		t.Errorf("request %s %s, want GET /v1/security/jwt", r.Method, r.URL.Path)
	}
	if q := r.URL.Query(); len(q) != 2 || q.Get("aud") != "*.example.com" || q.Get("expInSec") != "90" {
		t.Errorf("query %v, want exactly aud=*.example.com expInSec=90", q)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+console {
		t.Errorf("Authorization header does not carry the console jwt as bearer")
	}
	if got := r.Header.Get("Accept"); got != "text/plain" {
		t.Errorf("Accept = %q, want text/plain, as Voicegain answers", got)
	}

	var c jwt.RegisteredClaims
	if _, err := jwt.ParseWithClaims(tok.AccessToken, &c, func(*jwt.Token) (any, error) { return vg.PublicKey(), nil }); err != nil {
		t.Fatalf("token is not a jwt issued by Voicegain: %v", err)
	}
	if got := c.ExpiresAt.Sub(c.IssuedAt.Time); got != 90*time.Second {
		t.Errorf("exp - iat = %v, want the requested 1m30s", got)
	}
	if tok.Expiry.Before(before.Add(90*time.Second)) || tok.Expiry.After(after.Add(90*time.Second)) || tok.AccessToken == console {
		t.Errorf("expiry %v, want the short-lived jwt's exp - iat after the request", tok.Expiry)
	}
	if code := callASR(t, srv.Server, tok, "https://b.app.example.com"); code != http.StatusOK {
		t.Errorf("from a matching origin: %d, want 200", code)
	}
	if code := callASR(t, srv.Server, tok, "https://example.org"); code != http.StatusForbidden {
		t.Errorf("from another origin: %d, want 403", code)
	}
	if vg.Issued() != 1 {
		t.Errorf("Issued() = %d, want 1", vg.Issued())
	}
}

func TestShortLivedModeAcceptsEveryResponseForm(t *testing.T) {
	exp := time.Now().Add(5 * time.Minute).Truncate(time.Second)
	good := signedJWT(t, jwt.MapClaims{"exp": exp.Unix(), "aud": "*"})
	for _, tc := range []struct{ name, contentType, body string }{
		{"JSON string", "application/json", `"` + good + `"`},
		{"JSON object with jwt", "application/json", `{"jwt":"` + good + `"}`},
		{"JSON object with token", "application/json;charset=utf-8", `{"token":"` + good + `"}`},
		{"JSON object with access_token", "application/json", `{"access_token":"` + good + `","expires_in":300}`},
		{"plain text", "text/plain", good},
		{"plain text with a newline", "text/plain; charset=utf-8", good + "\r\n"},
		{"JSON labelled as text", "text/plain", ` "` + good + `"`},
		{"bare JWT labelled as JSON", "application/json", good},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := plugintest.ServeBody(t, tc.contentType, tc.body)
			ts := shortLived(t, nil, good, srv.URL)
			tok, err := ts.Token()
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken != good || !tok.Expiry.Equal(exp) {
				t.Errorf("got %q expiring %v, want the jwt expiring %v", tok.AccessToken, tok.Expiry, exp)
			}
		})
	}
}

func TestShortLivedModeRefusesAResponseWithoutAJWT(t *testing.T) {
	console := signedJWT(t, jwt.MapClaims{"sub": "console"})
	for _, body := range []string{"", "<html>oops</html>", `{"jwt":""}`, `{"other":"x"}`, `42`, `"not.a.jwt"`, `{"jwt": 7}`} {
		t.Run(body, func(t *testing.T) {
			srv := plugintest.ServeBody(t, "", body)
			ts := shortLived(t, nil, console, srv.URL)
			_, err := ts.Token()
			if !errors.Is(err, plugin.ErrTemporary) || !strings.HasPrefix(err.Error(), "tokenplug/voicegain: ") {
				t.Fatalf("err = %v, want a temporary tokenplug/voicegain error", err)
			}
		})
	}
}

func TestShortLivedModeWithoutExpUsesTheRequestedLifetime(t *testing.T) {
	noExp := signedJWT(t, jwt.MapClaims{"aud": "*"})
	srv := plugintest.ServeBody(t, "", noExp)
	ts := mustConfigure(t, map[string]string{"jwt": noExp, "mode": "short_lived", "api_url": srv.URL, "audience": "*", "lifetime": "5m"})
	before := time.Now()
	tok, err := ts.Token()
	after := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if tok.Expiry.Before(before.Add(5*time.Minute)) || tok.Expiry.After(after.Add(5*time.Minute)) {
		t.Errorf("expiry %v, want 5m after the request", tok.Expiry)
	}
}

func TestShortLivedModeReadsTheEmulatorsJSONForm(t *testing.T) {
	vg := emulator.NewVoicegain()
	vg.JSON = true
	srv := newServer(t, vg)

	ts := mustConfigure(t, map[string]string{"jwt": vg.ConsoleJWT(), "mode": "short_lived", "api_url": srv.URL + "/v1", "audience": "app.example.com"})
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if code := callASR(t, srv.Server, tok, "https://app.example.com"); code != http.StatusOK {
		t.Errorf("protected endpoint: %d, want 200", code)
	}
}

// The longest lifetime Voicegain issues (expInSec 3600), an audience with a
// port as in Voicegain's own example, and a server-side call without an
// Origin header all work against the emulator, which refuses what the
// vendor refuses.
func TestShortLivedModeWithinVoicegainsLimits(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := newServer(t, vg)

	ts := mustConfigure(t, map[string]string{"jwt": vg.ConsoleJWT(), "mode": "short_lived", "api_url": srv.URL + "/v1",
		"audience": "localhost:8088", "lifetime": "1h"})
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := srv.Last(); r.URL.Query().Get("expInSec") != "3600" || r.URL.Query().Get("aud") != "localhost:8088" {
		t.Errorf("query %v, want expInSec=3600 aud=localhost:8088", r.URL.Query())
	}
	for origin, want := range map[string]int{"http://localhost:8088": 200, "http://localhost:9999": 403, "": 200} {
		if code := callASR(t, srv.Server, tok, origin); code != want {
			t.Errorf("origin %q: %d, want %d", origin, code, want)
		}
	}
}

// Since Voicegain release 1.91.0 a context may have several console JWTs:
// one deleted in the console leaves a provider configured with another
// working.
func TestAnotherConsoleJWTOfTheContextKeepsWorking(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := newServer(t, vg)
	mine := vg.AddConsoleJWT()
	vg.RevokeConsoleJWT(vg.ConsoleJWT())

	for _, mode := range []string{"static", "short_lived"} {
		settings := map[string]string{"jwt": mine, "mode": mode, "api_url": srv.URL + "/v1"}
		if mode == "short_lived" {
			settings["audience"] = "*"
		}
		tok, err := mustConfigure(t, settings).Token()
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if code := callASR(t, srv.Server, tok, ""); code != http.StatusOK {
			t.Errorf("%s: protected endpoint %d, want 200", mode, code)
		}
	}
}

func TestTheConsoleJWTNeverFollowsAnHTTPSToHTTPRedirect(t *testing.T) {
	console := signedJWT(t, jwt.MapClaims{"sub": "console"})
	// A plain-http trap that would answer the bearer it is sent as a token.
	trap := &plugintest.Recorder{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Header.Get("Authorization"))
	})}
	plain := httptest.NewServer(trap)
	defer plain.Close()
	// Same host (127.0.0.1), scheme https -> http: net/http keeps
	// Authorization, because only the host name is compared.
	secure := httptest.NewTLSServer(http.RedirectHandler(plain.URL+"/v1/security/jwt", http.StatusFound))
	defer secure.Close()
	_, err := shortLived(t, secure.Client(), console, secure.URL).Token()
	if !errors.Is(err, plugin.ErrCrossOriginRedirect) || !errors.Is(err, plugin.ErrPermanent) {
		t.Fatalf("err = %v, want a permanent cross-origin redirect error", err)
	}
	if r, _ := trap.Last(); plugintest.ContainsPart(err.Error(), console) || r != nil {
		t.Errorf("err %q; the http origin received a request: %t", err, r != nil)
	}
}

func TestShortLivedLifetimeIsAnchoredToTheLocalClock(t *testing.T) {
	vg := emulator.NewVoicegain()
	vg.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) } // Voicegain's clock is 2 h behind
	srv := newServer(t, vg)
	ts := shortLived(t, nil, vg.ConsoleJWT(), srv.URL)
	before := time.Now()
	tok, err := ts.Token()
	after := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if tok.Expiry.Before(before.Add(voicegain.DefaultLifetime-time.Second)) || tok.Expiry.After(after.Add(voicegain.DefaultLifetime)) {
		t.Errorf("expiry %v, want about now + %v", tok.Expiry, voicegain.DefaultLifetime)
	}
}
