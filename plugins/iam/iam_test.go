package iam

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

const (
	testKey    = "ibm-apikey-5ecret-0123456789"
	testSecret = "client-5ecret-9876543210"
)

// fixture is an IAM emulator on loopback with testKey registered, served
// as IAM serves it: on POST /identity/token only.
type fixture struct {
	iam *emulator.IAM
	ts  *httptest.Server
	rec *plugintest.Recorder
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{iam: emulator.NewIAM()}
	f.iam.AddAPIKey(testKey)
	f.rec = &plugintest.Recorder{Handler: f.iam}
	mux := http.NewServeMux()
	mux.Handle("POST "+TokenPath, f.rec)
	f.ts = httptest.NewServer(mux)
	t.Cleanup(f.ts.Close)
	return f
}

// source configures the provider (through the schema, as Serve does).
func (f *fixture) source(t *testing.T, p Provider, extra map[string]string) oauth2.TokenSource {
	t.Helper()
	settings := map[string]string{SettingAPIKey: testKey, SettingTokenURL: f.ts.URL + "/identity/token"}
	maps.Copy(settings, extra)
	p.HTTPClient = cmp.Or(p.HTTPClient, f.ts.Client())
	return plugintest.MustConfigure(t, p, settings)
}

// The token lasts IAM's hour from its receipt on the local clock, even
// when IAM's clock, here 2 h behind, disagrees.
func TestTokenComesFromIAMAsDocumented(t *testing.T) {
	f := newFixture(t)
	now := time.Unix(1_700_000_000, 0)
	f.iam.Now = func() time.Time { return now.Add(-2 * time.Hour) }
	tok, err := f.source(t, Provider{now: func() time.Time { return now }}, nil).Token()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.iam.Verify(tok.AccessToken); err != nil {
		t.Errorf("emulator does not accept the token: %v", err)
	}
	if tok.Type() != "Bearer" || !tok.Expiry.Equal(now.Add(time.Hour)) || plugin.HeaderOf(tok) != "" || !plugin.RefreshAtOf(tok).IsZero() {
		t.Errorf("token type %q expiry %v header %q refresh_at %v", tok.Type(), tok.Expiry, plugin.HeaderOf(tok), plugin.RefreshAtOf(tok))
	}
	req, body := f.rec.Last()
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" ||
		req.Header.Get("Accept") != "application/json" || req.Header.Get("Authorization") != "" {
		t.Errorf("request %s %v", req.Method, req.Header)
	}
	form, err := url.ParseQuery(body)
	want := url.Values{"grant_type": {"urn:ibm:params:oauth:grant-type:apikey"}, "apikey": {testKey}, "response_type": {"cloud_iam"}}
	if err != nil || fmt.Sprint(form) != fmt.Sprint(want) {
		t.Errorf("form = %v, want %v", form, want)
	}
	if f.iam.Issued() != 1 {
		t.Errorf("Issued() = %d", f.iam.Issued())
	}
}

func TestEachCallFetchesAFreshToken(t *testing.T) {
	f := newFixture(t)
	ts := f.source(t, Provider{}, nil)
	for range 2 {
		if _, err := ts.Token(); err != nil {
			t.Fatal(err)
		}
	}
	if f.iam.Issued() != 2 {
		t.Errorf("Issued() = %d, want 2 (the host caches, not the provider)", f.iam.Issued())
	}
}

func TestClientCredentialsGoInBasicAuth(t *testing.T) {
	f := newFixture(t)
	f.iam.AddClient("bx", testSecret)
	if _, err := f.source(t, Provider{}, nil).Token(); !errors.Is(err, plugin.ErrPermanent) {
		t.Errorf("without client credentials: %v, want permanent", err)
	}
	if _, err := f.source(t, Provider{}, map[string]string{SettingClientID: "bx", SettingClientSecret: testSecret}).Token(); err != nil {
		t.Fatal(err)
	}
	req, _ := f.rec.Last()
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("bx:"+testSecret))
	if got := req.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization = %q, want %q", got, want)
	}
}

// jwtWithExp returns an unsigned JWT-shaped string whose exp is exp.
func jwtWithExp(exp int64) string { return plugintest.UnsignedJWT(fmt.Sprintf(`{"exp":%d}`, exp)) }

func TestExpiryIsReadFromTheBestFieldPresent(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name, body string
		want       time.Time
	}{
		{"expires_in wins, on the local clock", `{"access_token":"a","token_type":"Bearer","expires_in":120,"expiration":1600000100}`, now.Add(2 * time.Minute)},
		{"then the JWT's exp - iat", fmt.Sprintf(`{"access_token":%q,"expiration":1600000100}`, plugintest.UnsignedJWT(`{"iat":1600000000,"exp":1600000300}`)), now.Add(5 * time.Minute)},
		{"then expiration", `{"access_token":"a","token_type":"Bearer","expiration":1700000100}`, time.Unix(1_700_000_100, 0)},
		{"then the JWT's exp", fmt.Sprintf(`{"access_token":%q}`, jwtWithExp(1_700_000_500)), time.Unix(1_700_000_500, 0)},
		{"else one hour", `{"access_token":"opaque"}`, now.Add(time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := plugintest.ServeBody(t, "application/json", tt.body)
			p := Provider{HTTPClient: srv.Client(), now: func() time.Time { return now }}
			ts := plugintest.MustConfigure(t, p, map[string]string{SettingAPIKey: testKey, SettingTokenURL: srv.URL})
			tok, err := ts.Token()
			if err != nil {
				t.Fatal(err)
			}
			if !tok.Expiry.Equal(tt.want) || tok.Type() != "Bearer" {
				t.Errorf("expiry %v type %q, want %v Bearer", tok.Expiry, tok.Type(), tt.want)
			}
		})
	}
}

func TestConfigureNamesTheBadSetting(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		key      string
	}{
		{"no apikey", map[string]string{}, SettingAPIKey},
		{"a relative token_url", map[string]string{SettingAPIKey: "k", SettingTokenURL: "/identity/token"}, SettingTokenURL},
		{"an ftp token_url", map[string]string{SettingAPIKey: "k", SettingTokenURL: "ftp://iam.example/token"}, SettingTokenURL},
		{"a token_url without host", map[string]string{SettingAPIKey: "k", SettingTokenURL: "https:///token"}, SettingTokenURL},
		{"an unparsable token_url", map[string]string{SettingAPIKey: "k", SettingTokenURL: "http://[::1"}, SettingTokenURL},
		{"a plain http token_url to another host", map[string]string{SettingAPIKey: "k", SettingTokenURL: "http://example.com/identity/token"}, SettingTokenURL},
		{"client_id alone", map[string]string{SettingAPIKey: "k", SettingClientID: "bx"}, SettingClientSecret},
		{"client_secret alone", map[string]string{SettingAPIKey: "k", SettingClientSecret: testSecret}, SettingClientID},
		{"an unknown key", map[string]string{SettingAPIKey: "k", "region": "us-south"}, "region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := plugintest.Configure(t.Context(), Provider{}, tt.settings)
			plugintest.CheckSettingError(t, err, tt.key, testSecret)
		})
	}
	// Configure called directly, without the schema, still refuses.
	if _, err := (Provider{}).Configure(context.Background(), nil); err == nil || !strings.Contains(err.Error(), SettingAPIKey) {
		t.Errorf("Configure(nil) = %v", err)
	}
}

func TestDefaultTokenURLIsIBMs(t *testing.T) {
	s, err := plugin.ApplySchema(Provider{}.Describe(), map[string]string{SettingAPIKey: "k"})
	if err != nil || s[SettingTokenURL] != "https://iam.cloud.ibm.com/identity/token" {
		t.Errorf("settings %v %v", s, err)
	}
	ts, err := Provider{}.Configure(context.Background(), map[string]string{SettingAPIKey: "k"})
	if err != nil || ts.(*tokenSource).url != DefaultTokenURL {
		t.Errorf("Configure without token_url: %v", err)
	}
}

// IBM's SDKs take IAM's base URL and append /identity/token
// (IBM/go-sdk-core iam_authenticator.go); users paste that form.
func TestABaseTokenURLGetsIBMsTokenPath(t *testing.T) {
	f := newFixture(t) // serves the real path only
	for _, base := range []string{f.ts.URL, f.ts.URL + "/"} {
		src := f.source(t, Provider{}, map[string]string{SettingTokenURL: base})
		if got := src.(*tokenSource).url; got != f.ts.URL+"/identity/token" {
			t.Errorf("token_url %q became %q, want %q", base, got, f.ts.URL+"/identity/token")
		}
		if _, err := src.Token(); err != nil {
			t.Fatalf("token_url %q: %v", base, err)
		}
	}
	if r, _ := f.rec.Last(); r == nil || r.URL.Path != "/identity/token" {
		t.Errorf("last request %v, want POST /identity/token", r)
	}
	// A URL with a path is used as given: a proxy may serve IAM elsewhere.
	src := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingAPIKey: testKey, SettingTokenURL: "https://proxy.example/iam/token"})
	if got := src.(*tokenSource).url; got != "https://proxy.example/iam/token" {
		t.Errorf("a token_url with a path became %q", got)
	}
}

// The scope setting goes out as the form field scope, as IBM/go-sdk-core's
// IamAuthenticator sends its Scope; without it no scope field is sent.
func TestScopeIsSentAsIBMsSDKSendsIt(t *testing.T) {
	f := newFixture(t)
	tok, err := f.source(t, Provider{}, map[string]string{SettingScope: " custom-scope  other "}).Token()
	if err != nil {
		t.Fatal(err)
	}
	_, raw := f.rec.Last()
	body, _ := url.ParseQuery(raw)
	if got := body.Get("scope"); got != "custom-scope other" {
		t.Errorf("scope form field %q, want custom-scope other", got)
	}
	var claims jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tok.AccessToken, &claims); err != nil {
		t.Fatal(err)
	}
	if claims["scope"] != "ibm openid custom-scope other" || f.iam.Verify(tok.AccessToken) != nil {
		t.Errorf("token scope %v, want ibm openid custom-scope other", claims["scope"])
	}
	if _, err := f.source(t, Provider{}, nil).Token(); err != nil {
		t.Fatal(err)
	}
	_, raw = f.rec.Last()
	body, _ = url.ParseQuery(raw)
	if _, sent := body["scope"]; sent {
		t.Error("scope sent without the setting")
	}
}

// The emulator, like IAM for the pairs it knows, accepts a client pair it
// was not told about; the provider sends it as Basic auth.
func TestClientCredentialsWorkAgainstTheDefaultEmulator(t *testing.T) {
	f := newFixture(t)
	if _, err := f.source(t, Provider{}, map[string]string{SettingClientID: "bx", SettingClientSecret: testSecret}).Token(); err != nil {
		t.Fatal(err)
	}
}
