package transport_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/transport"
)

// tokenEndpoint is an OAuth 2.0 token endpoint (RFC 6749 §4.4, client
// credentials) on 127.0.0.1 whose access tokens say what was asked:
// "at<n>.<scope, + for spaces>.<claims in base64url>".
type tokenEndpoint struct {
	*httptest.Server
	mu sync.Mutex // guards n
	n  int
}

func newTokenEndpoint(t *testing.T) *tokenEndpoint {
	t.Helper()
	te := &tokenEndpoint{}
	te.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, secret, ok := r.BasicAuth(); !ok || id != "app" || secret != "s3cret" || r.ParseForm() != nil || r.PostForm.Get("grant_type") != "client_credentials" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		te.mu.Lock()
		te.n++
		n := te.n
		te.mu.Unlock()
		at := fmt.Sprintf("at%d.%s.%s", n, strings.ReplaceAll(r.PostForm.Get("scope"), " ", "+"),
			base64.RawURLEncoding.EncodeToString([]byte(r.PostForm.Get("claims"))))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": 3600})
	}))
	t.Cleanup(te.Close)
	return te
}

func (te *tokenEndpoint) issued() int {
	te.mu.Lock()
	defer te.mu.Unlock()
	return te.n
}

// The real tokenplug-oauth2 binary, through the host, answers a resource
// server's challenges: a scope within challenge_scopes (RFC 6750 §3), an
// Entra claims challenge; a scope beyond it costs no token request; the
// default token keeps serving.
func TestTheOAuth2PluginAnswersChallengesEndToEnd(t *testing.T) {
	te := newTokenEndpoint(t)
	claims := `{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}`
	wantClaims := base64.RawURLEncoding.EncodeToString([]byte(claims))
	rec := newRecorder(t, false, nil)
	rec.Config.Handler = recordThen(rec, func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), ".")
		scopes := "+" + parts[1] + "+"
		switch {
		case r.URL.Path == "/w" && !strings.Contains(scopes, "+write+"):
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="write"`)
			w.WriteHeader(http.StatusForbidden)
		case r.URL.Path == "/admin":
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="admin"`)
			w.WriteHeader(http.StatusForbidden)
		case r.URL.Path == "/cae" && parts[2] != wantClaims:
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_claims", claims="`+base64.StdEncoding.EncodeToString([]byte(claims))+`"`)
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)))
	t.Cleanup(func() { reg.Close() })
	if err := reg.Register("idp", host.ProviderConfig{Path: testbin.Path("oauth2"), Hosts: []string{"127.0.0.1"}, Settings: map[string]string{
		"token_url": te.URL, "client_id": "app", "client_secret": "s3cret", "scope": "read", "challenge_scopes": "write",
	}}); err != nil {
		t.Fatal(err)
	}
	src, err := reg.Source("idp")
	if err != nil {
		t.Fatal(err)
	}
	tr := transport.New(rec.base(t), src)
	for _, step := range []struct {
		path   string
		status int
		issued int // token requests so far
	}{
		{"/w", http.StatusOK, 2},            // at1 (read), refused; at2 (read write)
		{"/w", http.StatusOK, 2},            // at2 cached
		{"/admin", http.StatusForbidden, 2}, // admin is not in challenge_scopes: no request
		{"/cae", http.StatusOK, 3},          // at3 with the claims
		{"/open", http.StatusOK, 3},         // at1 still the default
	} {
		if code, _ := do(t, tr, newRequest(t, "GET", rec.URL+step.path, nil)); code != step.status || te.issued() != step.issued {
			t.Fatalf("%s: status %d, %d tokens issued; want %d, %d", step.path, code, te.issued(), step.status, step.issued)
		}
	}
	wantAuths(t, rec,
		"/w Bearer at1.read. ", "/w Bearer at2.read+write. ",
		"/w Bearer at1.read. ", "/w Bearer at2.read+write. ",
		"/admin Bearer at1.read. ",
		"/cae Bearer at1.read. ", "/cae Bearer at3.read."+wantClaims+" ",
		"/open Bearer at1.read. ")
}
