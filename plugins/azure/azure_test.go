package azure

import (
	"cmp"
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

const testKey = "az-Kq8Vm3Xr7Tb2Wn9Lp4Hd6Jf1Yc5Gs0" // random-looking: errors are searched for any 8 bytes of it

// fixture is an Azure emulator on loopback serving issueToken and a
// protected /speech resource, with testKey registered.
type fixture struct {
	az  *emulator.Azure
	ts  *httptest.Server
	rec *plugintest.Recorder
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{az: emulator.NewAzure()}
	f.rec = &plugintest.Recorder{Handler: f.az}
	f.az.AddKey(testKey)
	mux := http.NewServeMux()
	mux.Handle("/sts/v1.0/issueToken", f.rec)
	mux.Handle("/speech", f.az.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "recognized")
	})))
	f.ts = httptest.NewServer(mux)
	t.Cleanup(f.ts.Close)
	return f
}

func (f *fixture) tokenURL() string { return f.ts.URL + "/sts/v1.0/issueToken" }

func (f *fixture) source(t *testing.T, p Provider, extra map[string]string) oauth2.TokenSource {
	t.Helper()
	settings := map[string]string{SettingSubscriptionKey: testKey, SettingTokenURL: f.tokenURL()}
	maps.Copy(settings, extra)
	p.HTTPClient = cmp.Or(p.HTTPClient, f.ts.Client())
	return plugintest.MustConfigure(t, p, settings)
}

// callSpeech calls the protected resource with tok in the header tokenplug
// would use, and returns the status.
func (f *fixture) callSpeech(t *testing.T, tok *oauth2.Token) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.ts.URL+"/speech", nil)
	name, value := tokenplug.RequestHeader(tok)
	req.Header.Set(name, value)
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestTokenModeExchangesTheKeyAsDocumented(t *testing.T) {
	f := newFixture(t)
	now := time.Unix(1_700_000_000, 0)
	f.az.Now = func() time.Time { return now }
	tok, err := f.source(t, Provider{now: func() time.Time { return now }}, nil).Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.Type() != "Bearer" || plugin.HeaderOf(tok) != "" || !tok.Expiry.Equal(now.Add(10*time.Minute)) ||
		!plugin.RefreshAtOf(tok).Equal(now.Add(9*time.Minute)) {
		t.Errorf("type %q header %q expiry %v refresh_at %v", tok.Type(), plugin.HeaderOf(tok), tok.Expiry, plugin.RefreshAtOf(tok))
	}
	if status := f.callSpeech(t, tok); status != 200 {
		t.Errorf("speech resource answered %d to the bearer token", status)
	}
	req, body := f.rec.Last()
	if req.Method != http.MethodPost || req.Header.Get(KeyHeader) != testKey || req.ContentLength != 0 ||
		req.Header.Get("Content-Length") != "0" || body != "" || req.Header.Get("Authorization") != "" {
		t.Errorf("request %s length %d body %q headers %v", req.Method, req.ContentLength, body, req.Header)
	}
}

func TestRegionGivesTheCognitiveServicesURL(t *testing.T) {
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingSubscriptionKey: testKey, SettingRegion: "westeurope"})
	if got := ts.(*tokenSource).url; got != "https://westeurope.api.cognitive.microsoft.com/sts/v1.0/issueToken" {
		t.Errorf("url = %s", got)
	}
	ts = plugintest.MustConfigure(t, Provider{}, map[string]string{SettingSubscriptionKey: testKey, SettingRegion: "westeurope", SettingTokenURL: "https://chinaeast2.api.cognitive.azure.cn/sts/v1.0/issueToken"})
	if got := ts.(*tokenSource).url; got != "https://chinaeast2.api.cognitive.azure.cn/sts/v1.0/issueToken" {
		t.Errorf("token_url does not override region: url = %s", got)
	}
}

func TestKeyModeSendsTheKeyItselfWithoutARequest(t *testing.T) {
	f := newFixture(t)
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingSubscriptionKey: testKey, SettingMode: "key"})
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != testKey || plugin.HeaderOf(tok) != "Ocp-Apim-Subscription-Key" || !tok.Expiry.IsZero() {
		t.Errorf("token header %q expiry %v", plugin.HeaderOf(tok), tok.Expiry)
	}
	if status := f.callSpeech(t, tok); status != 200 {
		t.Errorf("speech resource answered %d to the key", status)
	}
	if f.az.Issued() != 0 {
		t.Errorf("key mode called issueToken %d times", f.az.Issued())
	}
}

func TestExpiryComesFromExpMinusIatElseExpElseTenMinutes(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name, body        string
		expiry, refreshAt time.Time
	}{
		{"exp claim", plugintest.UnsignedJWT(`{"exp":1700000600}`), now.Add(10 * time.Minute), now.Add(9 * time.Minute)},
		{"exp - iat on the local clock", plugintest.UnsignedJWT(`{"iat":1600000000,"exp":1600000600}`), now.Add(10 * time.Minute), now.Add(9 * time.Minute)},
		{"no exp", plugintest.UnsignedJWT(`{"region":"westus"}`), now.Add(10 * time.Minute), now.Add(9 * time.Minute)},
		{"a short exp keeps the 9:10 ratio", plugintest.UnsignedJWT(`{"exp":1700000100}`), now.Add(100 * time.Second), now.Add(90 * time.Second)},
		{"trailing newline", plugintest.UnsignedJWT(`{"exp":1700000600}`) + "\r\n", now.Add(10 * time.Minute), now.Add(9 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := plugintest.ServeBody(t, "", tt.body)
			ts, err := plugintest.Configure(t.Context(), Provider{HTTPClient: srv.Client(), now: func() time.Time { return now }},
				map[string]string{SettingSubscriptionKey: testKey, SettingTokenURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := ts.Token()
			if err != nil {
				t.Fatal(err)
			}
			if !tok.Expiry.Equal(tt.expiry) || !plugin.RefreshAtOf(tok).Equal(tt.refreshAt) || strings.ContainsAny(tok.AccessToken, "\r\n") {
				t.Errorf("expiry %v refresh_at %v, want %v %v", tok.Expiry, plugin.RefreshAtOf(tok), tt.expiry, tt.refreshAt)
			}
		})
	}
}

func TestConfigureNamesTheBadSetting(t *testing.T) {
	k := map[string]string{SettingSubscriptionKey: testKey}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for key, v := range k {
			m[key] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name     string
		settings map[string]string
		key      string
	}{
		{"no subscription_key", map[string]string{SettingRegion: "westus"}, SettingSubscriptionKey},
		{"token mode without region or token_url", with(), SettingRegion},
		{"an unknown mode", with(SettingMode, "bearer", SettingRegion, "westus"), SettingMode},
		{"a region with a dot", with(SettingRegion, "evil.com#"), SettingRegion},
		{"a region with a host", with(SettingRegion, "attacker.example/x?"), SettingRegion},
		{"an upper-case region", with(SettingRegion, "WestUS"), SettingRegion},
		{"a region with a hyphen", with(SettingRegion, "west-us"), SettingRegion},
		{"a relative token_url", with(SettingTokenURL, "/sts/v1.0/issueToken"), SettingTokenURL},
		{"a token_url without scheme", with(SettingTokenURL, "westus.api.cognitive.microsoft.com/sts"), SettingTokenURL},
		{"a plain http token_url to another host", with(SettingTokenURL, "http://example.com/sts/v1.0/issueToken"), SettingTokenURL},
		{"an unknown key", with(SettingRegion, "westus", "apikey", "x"), "apikey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := plugintest.Configure(t.Context(), Provider{}, tt.settings)
			plugintest.CheckSettingError(t, err, tt.key, testKey)
		})
	}
	if _, err := (Provider{}).Configure(context.Background(), nil); err == nil || !strings.Contains(err.Error(), SettingSubscriptionKey) {
		t.Errorf("Configure(nil) = %v", err)
	}
	if _, err := plugintest.Configure(t.Context(), Provider{}, with(SettingMode, "key")); err != nil {
		t.Errorf("key mode needs no region: %v", err)
	}
}
