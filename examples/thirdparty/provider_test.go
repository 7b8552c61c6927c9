package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// authServer is a local OAuth 2.0 server: a client credentials token
// endpoint, and an API that accepts only the tokens it issued.
type authServer struct {
	*httptest.Server
	issued atomic.Int64
}

const (
	clientID     = "app-1"
	clientSecret = "cs-8f2e1c9d7b6a5e4f"
)

func newAuthServer(t *testing.T) *authServer {
	a := &authServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", a.token)
	mux.HandleFunc("GET /api", func(w http.ResponseWriter, r *http.Request) {
		var n int64
		if _, err := fmt.Sscanf(r.Header.Get("Authorization"), "Bearer access-token-%d", &n); err != nil || n < 1 || n > a.issued.Load() {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		}
	})
	a.Server = httptest.NewServer(mux)
	t.Cleanup(a.Close)
	return a
}

func (a *authServer) token(w http.ResponseWriter, r *http.Request) {
	id, secret, _ := r.BasicAuth()
	if r.PostFormValue("grant_type") != "client_credentials" || id != clientID || secret != clientSecret {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_client"}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":"access-token-%d","token_type":"Bearer","expires_in":3600}`, a.issued.Add(1))
}

func (a *authServer) settings() map[string]string {
	return map[string]string{"token_url": a.URL + "/token", "client_id": clientID, "client_secret": clientSecret, "scopes": "read write"}
}

// upstream is the auth server's handler, for the fault checks: plugintest
// serves it on a port of its own and answers with each fault in turn.
func (a *authServer) upstream() plugintest.Upstream {
	return plugintest.Upstream{
		Handler: a.Config.Handler,
		Settings: func(url string) map[string]string {
			s := a.settings()
			s["token_url"] = url + "/token"
			return s
		},
		ErrorPrefix: "tokenplug/clientcredentials: ",
	}
}

// The plugin binary, built from this package, through the real host; with
// the standard faults too.
func TestConformance(t *testing.T) {
	a := newAuthServer(t)
	up := a.upstream()
	plugintest.Run(t, plugintest.Config{
		Package:  ".",
		Settings: a.settings(),
		Upstream: &up,
		CheckToken: func(t *testing.T, tok *oauth2.Token) {
			req, _ := http.NewRequest(http.MethodGet, a.URL+"/api", nil)
			tok.SetAuthHeader(req)
			resp, err := a.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("the API answered %s to the plugin's token", resp.Status)
			}
		},
	})
}

// The provider in-process: fast enough for every run.
func TestProvider(t *testing.T) {
	plugintest.RunProvider(t, provider{}, newAuthServer(t).settings())
}

// The standard faults of a token endpoint (plugintest.DefaultFaults), one
// after another, against the auth server: each error has its kind, names
// the provider and quotes no piece of the client secret.
func TestUpstreamFaultsAreClassified(t *testing.T) {
	plugintest.RunFaults(t, provider{}, newAuthServer(t).upstream())
}

// Hosts hide only the values of settings marked secret: the client
// secret, and nothing a user needs to see in an error.
func TestOnlyTheClientSecretIsSecret(t *testing.T) {
	plugintest.CheckSecretSettings(t, provider{}, map[string]bool{
		"token_url": false, "client_id": false, "client_secret": true, "scopes": false,
	})
}

func TestAWrongSecretIsPermanent(t *testing.T) {
	s := newAuthServer(t).settings()
	s["client_secret"] = "wrong-secret"
	ts, err := provider{}.Configure(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ts.Token()
	if !errors.Is(err, plugin.ErrPermanent) {
		t.Fatalf("got %v (%v), want permanent", err, plugin.KindOf(err))
	}
	plugintest.CheckError(t, err, "tokenplug/clientcredentials: ", clientSecret, "wrong-secret")
}

func TestATokenURLInClearToAnotherHostIsRejected(t *testing.T) {
	s := map[string]string{"token_url": "http://auth.example.com/token", "client_id": clientID, "client_secret": clientSecret}
	_, err := provider{}.Configure(t.Context(), s)
	var se plugin.SettingError
	if !errors.As(err, &se) || se.Key != "token_url" {
		t.Fatalf("got %v, want an error naming token_url", err)
	}
}
