package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

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
	fail   atomic.Int32 // if not 0, the token endpoint answers this status
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
	if code := int(a.fail.Load()); code != 0 {
		w.Header().Set("Retry-After", "7")
		http.Error(w, `{"error":"server_error"}`, code)
		return
	}
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

// The plugin binary, built from this package, through the real host.
func TestConformance(t *testing.T) {
	a := newAuthServer(t)
	plugintest.Run(t, plugintest.Config{
		Package:  ".",
		Settings: a.settings(),
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

func TestUpstreamErrorsAreClassified(t *testing.T) {
	a := newAuthServer(t)
	tests := []struct {
		name   string
		status int
		secret string
		is     error
		retry  time.Duration
	}{
		{"a wrong secret is permanent", 0, "wrong-secret", plugin.ErrPermanent, 0},
		{"a 429 is rate limited with its Retry-After", http.StatusTooManyRequests, clientSecret, plugin.ErrRateLimited, 7 * time.Second},
		{"a 503 is temporary", http.StatusServiceUnavailable, clientSecret, plugin.ErrTemporary, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.fail.Store(int32(tt.status))
			defer a.fail.Store(0)
			s := a.settings()
			s["client_secret"] = tt.secret
			ts, err := provider{}.Configure(t.Context(), s)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ts.Token()
			if !errors.Is(err, tt.is) || plugin.RetryAfterOf(err) != tt.retry {
				t.Fatalf("got %v (%v, retry-after %v), want %v with %v", err, plugin.KindOf(err), plugin.RetryAfterOf(err), tt.is, tt.retry)
			}
		})
	}
}

func TestATokenURLInClearToAnotherHostIsRejected(t *testing.T) {
	s := map[string]string{"token_url": "http://auth.example.com/token", "client_id": clientID, "client_secret": clientSecret}
	_, err := provider{}.Configure(t.Context(), s)
	var se plugin.SettingError
	if !errors.As(err, &se) || se.Key != "token_url" {
		t.Fatalf("got %v, want an error naming token_url", err)
	}
}
