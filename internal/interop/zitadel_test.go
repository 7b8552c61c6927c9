package interop

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"github.com/tokenplug/tokenplug"
)

// startZitadel serves zitadel/oidc's OpenID Provider, with its example
// in-memory storage (service user sid1, secret verysecret), on loopback.
// Its issuer serves OpenID metadata only (404 at RFC 8414's URL).
func startZitadel(t *testing.T) *httptest.Server {
	t.Helper()
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	handler = exampleop.SetupServer(srv.URL, storage.NewStorage(storage.NewUserStore(srv.URL)), nil, false)
	return srv
}

// Discovery (OpenID metadata, after RFC 8414's URL answers 404) and the
// client_credentials grant against zitadel/oidc's OP, through the host.
func TestZitadelIsDiscoveredAndIssuesClientCredentialsTokens(t *testing.T) {
	srv := startZitadel(t)
	fe := newFetcher(t, map[string]string{"issuer": srv.URL, "client_id": "sid1", "client_secret": "verysecret", "scope": "openid"})
	for i := range 2 {
		tok, err := fe.fresh(t)
		if err != nil {
			t.Fatalf("fetch %d: %v", i+1, err)
		}
		if tok.AccessToken == "" || tok.Type() != "Bearer" {
			t.Errorf("fetch %d: token type %q", i+1, tok.Type())
		}
	}
	_, err := newFetcher(t, map[string]string{"issuer": srv.URL, "client_id": "sid1", "client_secret": "wrong-secret-2"}).fresh(t)
	if !errors.Is(err, tokenplug.ErrPermanent) || !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), "wrong-secret-2") {
		t.Errorf("a wrong secret: %v, want a permanent invalid_client not quoting it", err)
	}
}

// Token exchange (RFC 8693) against zitadel/oidc's OP: the subject and
// actor tokens are access tokens the OP issued to its service user.
func TestZitadelExchangesItsOwnTokens(t *testing.T) {
	storage.RegisterClients(storage.WebClient("exchanger", "exchange-secret-1"))
	srv := startZitadel(t)
	cc, err := newFetcher(t, map[string]string{"issuer": srv.URL, "client_id": "sid1", "client_secret": "verysecret", "scope": "openid"}).fresh(t)
	if err != nil {
		t.Fatal(err)
	}
	file := subjectFileWith(t, cc.AccessToken)
	fe := newFetcher(t, map[string]string{"issuer": srv.URL, "grant": "token_exchange", "client_id": "exchanger", "client_secret": "exchange-secret-1",
		"subject_token_file": file, "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
		"actor_token_file": file, "actor_token_type": "urn:ietf:params:oauth:token-type:access_token",
		"requested_token_type": "urn:ietf:params:oauth:token-type:access_token", "scope": "openid"})
	tok, err := fe.fresh(t)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.AccessToken == cc.AccessToken {
		t.Errorf("exchanged token %.12q", tok.AccessToken)
	}
	if err := os.WriteFile(file, []byte("not-a-token-of-this-op"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := fe.fresh(t); !errors.Is(err, tokenplug.ErrPermanent) {
		t.Errorf("a subject token the OP did not issue (the file is read at every fetch): %v, want a permanent error", err)
	}
}
