package oauth2

import (
	"crypto"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testAS is a small authorization server for the conformance tests: one
// confidential client (id testClient) that authenticates with
// client_secret_basic (RFC 6749 §2.3.1 decoding), client_secret_post or
// private_key_jwt (RFC 7523 §3 checks, jti replay refused), the
// client_credentials grant, and RFC 6749 §5.2 errors. The tests of
// grants and error classes use server, which answers what a test says;
// the full emulator is emulator.StartOAuth2.
type testAS struct {
	secret string
	pub    crypto.PublicKey
	mu     sync.Mutex
	jtis   map[string]bool // guarded by mu
	issued int             // guarded by mu
}

const testClient = "app client"

func newTestAS(secret string, pub crypto.PublicKey) *testAS {
	return &testAS{secret: secret, pub: pub, jtis: map[string]bool{}}
}

func (a *testAS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		writeOAuthError(w, 400, "invalid_request", "want a POSTed form")
		return
	}
	if code, desc := a.authenticate(r); code != "" {
		writeOAuthError(w, 401, code, desc)
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		writeOAuthError(w, 400, "unsupported_grant_type", "")
		return
	}
	a.mu.Lock()
	a.issued++
	n := a.issued
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": fmt.Sprintf("testas-token-%d-%d", n, time.Now().UnixNano()),
		"token_type":   "bearer", "expires_in": 3600, "scope": r.PostForm.Get("scope"),
	})
}

// authenticate returns a §5.2 error code and description, or "".
func (a *testAS) authenticate(r *http.Request) (code, desc string) {
	if id, secret, ok := r.BasicAuth(); ok {
		id, err1 := url.QueryUnescape(id)
		secret, err2 := url.QueryUnescape(secret)
		if err1 != nil || err2 != nil || id != testClient || secret != a.secret {
			return "invalid_client", "client authentication failed"
		}
		return "", ""
	}
	if r.PostForm.Has("client_secret") {
		if r.PostForm.Get("client_id") != testClient || r.PostForm.Get("client_secret") != a.secret {
			return "invalid_client", "client authentication failed"
		}
		return "", ""
	}
	if r.PostForm.Get("client_assertion_type") == assertionTypeJWTBearer {
		return a.checkAssertion(r)
	}
	return "invalid_client", "no client authentication"
}

func (a *testAS) checkAssertion(r *http.Request) (code, desc string) {
	aud := "http://" + r.Host + r.URL.Path
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(r.PostForm.Get("client_assertion"), &claims,
		func(*jwt.Token) (any, error) { return a.pub, nil },
		jwt.WithValidMethods([]string{RS256, PS256, ES256}), jwt.WithAudience(aud), jwt.WithIssuer(testClient),
		jwt.WithSubject(testClient), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	if err != nil || claims.ID == "" {
		return "invalid_client", "client assertion refused"
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.jtis[claims.ID] {
		return "invalid_client", "client assertion replayed"
	}
	a.jtis[claims.ID] = true
	return "", ""
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}
