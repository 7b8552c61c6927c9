package oauth2

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// discoveryServer serves metadata at path (naming itself as issuer plus
// issuerSuffix) and a token endpoint at /token; it counts metadata hits.
func discoveryServer(t *testing.T, path string, issuer func(base string) string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": issuer(srv.URL), "token_endpoint": srv.URL + "/token"})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(okBody)) })
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestTheIssuerIsDiscoveredOnceByRFC8414ThenOpenID(t *testing.T) {
	for _, tt := range []struct{ name, path, issuerPath string }{
		{"RFC 8414 §3.1, no path", "/.well-known/oauth-authorization-server", ""},
		{"RFC 8414 §3.1, the well-known segment before the issuer's path", "/.well-known/oauth-authorization-server/realms/x", "/realms/x"},
		{"OpenID Connect Discovery §4, appended to the issuer (Keycloak)", "/realms/x/.well-known/openid-configuration", "/realms/x"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, hits := discoveryServer(t, tt.path, func(base string) string { return base + tt.issuerPath })
			ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingIssuer: srv.URL + tt.issuerPath, SettingClientID: "c", SettingClientSecret: "s"})
			for range 3 {
				if _, err := ts.Token(); err != nil {
					t.Fatal(err)
				}
			}
			if hits.Load() != 1 {
				t.Errorf("metadata fetched %d times, want once", hits.Load())
			}
		})
	}
}

// RFC 8414 §3.3: an issuer that differs from the configured one is a
// mix-up; no credential goes to its token endpoint.
func TestAMetadataDocumentOfAnotherIssuerIsRefused(t *testing.T) {
	srv, _ := discoveryServer(t, "/.well-known/oauth-authorization-server", func(string) string { return "https://evil.example" })
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingIssuer: srv.URL, SettingClientID: "c", SettingClientSecret: "s-secret-value"})
	_, err := ts.Token()
	if !errors.Is(err, plugin.ErrPermanent) || !strings.Contains(err.Error(), "issuer") {
		t.Errorf("err = %v, want a permanent error about the issuer", err)
	}
	plugintest.CheckError(t, err, "tokenplug/oauth2: ", "s-secret-value")
}

func TestAServerWithoutMetadataIsAPermanentErrorNamingBothPlaces(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingIssuer: srv.URL, SettingClientID: "c"})
	_, err := ts.Token()
	if !errors.Is(err, plugin.ErrPermanent) || !strings.Contains(err.Error(), "openid-configuration") || !strings.Contains(err.Error(), "oauth-authorization-server") {
		t.Errorf("err = %v", err)
	}
}

func TestAMetadataTokenEndpointOverPlainHTTPToAnotherHostIsRefused(t *testing.T) {
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL, "token_endpoint": "http://as.example/token"})
	})
	srv = httptest.NewServer(mux)
	defer srv.Close()
	_, err := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingIssuer: srv.URL, SettingClientID: "c"}).Token()
	if !errors.Is(err, plugin.ErrPermanent) || !strings.Contains(err.Error(), "https") {
		t.Errorf("err = %v", err)
	}
}

// A server whose RFC 8414 URL answers a login page still serves OpenID
// metadata.
func TestAnRFC8414URLThatAnswersAPageFallsBackToOpenID(t *testing.T) {
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>login</html>")) })
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL, "token_endpoint": srv.URL + "/token"})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(okBody)) })
	srv = httptest.NewServer(mux)
	defer srv.Close()
	if _, err := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingIssuer: srv.URL, SettingClientID: "c"}).Token(); err != nil {
		t.Error(err)
	}
}
