package emulator_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokenplug/tokenplug/emulator"
)

// oauthServer starts an OAuth2 emulator for the test.
func oauthServer(t *testing.T) *emulator.OAuth2 {
	t.Helper()
	e := emulator.StartOAuth2()
	t.Cleanup(e.Close)
	return e
}

// oauthAnswer is a token endpoint's answer, success or RFC 6749 §5.2 error.
type oauthAnswer struct {
	Status           int
	Header           http.Header
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	Scope            string `json:"scope"`
	RefreshToken     string `json:"refresh_token"`
	IssuedTokenType  string `json:"issued_token_type"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// tokenPost sends form to the emulator's token endpoint; edit may change
// the request first.
func tokenPost(t *testing.T, e *emulator.OAuth2, form url.Values, edit func(*http.Request)) oauthAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.TokenURL(), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var a oauthAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("status %d, body %q is not JSON: %v", resp.StatusCode, body, err)
	}
	a.Status, a.Header = resp.StatusCode, resp.Header
	return a
}

// mustToken fails the test unless a is a Bearer token that e verifies, and
// returns its claims.
func mustToken(t *testing.T, e *emulator.OAuth2, a oauthAnswer) map[string]any {
	t.Helper()
	if a.Status != http.StatusOK || a.AccessToken == "" || a.TokenType != "Bearer" {
		t.Fatalf("answer %+v, want a Bearer token", a)
	}
	claims, err := e.Claims(a.AccessToken)
	if err != nil {
		t.Fatalf("Claims(issued token) = %v", err)
	}
	return claims
}

// wantError fails the test unless a is the RFC 6749 §5.2 error code with
// status.
func wantError(t *testing.T, a oauthAnswer, status int, code string) {
	t.Helper()
	if a.Status != status || a.Error != code || a.AccessToken != "" {
		t.Fatalf("answer %+v, want %d %s", a, status, code)
	}
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func mustAdd(t *testing.T, e *emulator.OAuth2, c emulator.OAuth2Client) {
	t.Helper()
	if err := e.AddClient(c); err != nil {
		t.Fatal(err)
	}
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ecKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// assertion signs an RFC 7523 JWT with key; claims override the defaults
// (iss and sub id, aud, a fresh jti, exp in 5 minutes); a nil value
// removes a claim.
func assertion(t *testing.T, method jwt.SigningMethod, key crypto.Signer, id, aud string, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	c := jwt.MapClaims{"iss": id, "sub": id, "aud": aud, "jti": randomJTI(), "iat": time.Now().Unix(), "exp": time.Now().Add(5 * time.Minute).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	tok := jwt.NewWithClaims(method, c)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func randomJTI() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// RFC 8414 §3 and OpenID Connect Discovery §4 documents name the issuer,
// the token endpoint and a JWKS whose key verifies the issued tokens.
func TestOAuth2DiscoveryDocumentsNameTheIssuerAndAKeyThatVerifiesItsTokens(t *testing.T) {
	e := oauthServer(t)
	mustAdd(t, e, emulator.OAuth2Client{ID: "c", Secret: "s"})
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		var meta struct {
			Issuer        string   `json:"issuer"`
			TokenEndpoint string   `json:"token_endpoint"`
			JWKSURI       string   `json:"jwks_uri"`
			Grants        []string `json:"grant_types_supported"`
			AuthMethods   []string `json:"token_endpoint_auth_methods_supported"`
		}
		getJSON(t, e.URL+path, &meta)
		if meta.Issuer != e.URL || meta.TokenEndpoint != e.TokenURL() || len(meta.Grants) != 4 || len(meta.AuthMethods) != 4 {
			t.Errorf("%s: %+v", path, meta)
		}
		var jwks struct {
			Keys []struct{ Kid, N, E string } `json:"keys"`
		}
		getJSON(t, meta.JWKSURI, &jwks)
		if len(jwks.Keys) != 1 {
			t.Fatalf("jwks %+v", jwks)
		}
		a := tokenPost(t, e, form("grant_type", "client_credentials", "client_id", "c", "client_secret", "s"), nil)
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(b64(t, jwks.Keys[0].N)), E: int(new(big.Int).SetBytes(b64(t, jwks.Keys[0].E)).Int64())}
		tok, err := jwt.Parse(a.AccessToken, func(*jwt.Token) (any, error) { return pub, nil }, jwt.WithIssuer(e.URL))
		if err != nil || tok.Header["kid"] != jwks.Keys[0].Kid {
			t.Errorf("issued token not verified by the JWKS key: %v (kid %v)", err, tok.Header["kid"])
		}
	}
	if e.Discoveries() != 2 {
		t.Errorf("Discoveries() = %d, want 2", e.Discoveries())
	}
}

// RFC 8414 §3.1: for an issuer with a path, the well-known segment goes
// between the host and the path; OpenID appends it.
func TestOAuth2DiscoveryOfAnIssuerWithAPathFollowsBothRules(t *testing.T) {
	e := emulator.NewOAuth2()
	srv := newLoopbackServer(t, e)
	e.Issuer = srv + "/tenant-1"
	for path, want := range map[string]int{
		"/.well-known/oauth-authorization-server/tenant-1": http.StatusOK,
		"/tenant-1/.well-known/openid-configuration":       http.StatusOK,
		"/.well-known/oauth-authorization-server":          http.StatusNotFound,
		"/.well-known/openid-configuration":                http.StatusNotFound,
	} {
		resp, err := http.Get(srv + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// newLoopbackServer serves h on 127.0.0.1 until the test ends.
func newLoopbackServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
