package oauth2

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// BenchmarkFetch is one token fetch, in process, against a loopback token
// endpoint that answers at once: what a provider adds to each upstream
// request. private_key_jwt signs a client assertion per fetch (RFC 7523
// §2.2: a fresh jti each time); client_secret_basic is the baseline.
func BenchmarkFetch(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, okBody)
	}))
	defer srv.Close()
	for _, bb := range []struct {
		name     string
		settings map[string]string
	}{
		{"auth=client_secret_basic", map[string]string{SettingClientSecret: testSecret}},
		{"auth=private_key_jwt_RS256", map[string]string{SettingClientAuth: "private_key_jwt", SettingPrivateKey: pemOf(b, rsaKey, true)}},
		{"auth=private_key_jwt_ES256", map[string]string{SettingClientAuth: "private_key_jwt", SettingPrivateKey: pemOf(b, ecKey, true)}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			bb.settings[SettingTokenURL], bb.settings[SettingClientID] = srv.URL+"/token", testClient
			ts := plugintest.MustConfigure(b, Provider{}, bb.settings)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ts.Token(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
