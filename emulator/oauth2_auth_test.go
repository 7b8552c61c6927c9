package emulator_test

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokenplug/tokenplug/emulator"
)

// A secret with every character form encoding changes.
const hardSecret = "s3:cr+t/%41&x=y z"

// RFC 6749 §2.3.1: the id and secret are form-urlencoded before base64, so
// a client that encodes them authenticates and one that does not fails
// with 401 and a Basic challenge.
func TestOAuth2ClientSecretBasicIsFormDecodedAfterSplittingAtTheFirstColon(t *testing.T) {
	e := oauthServer(t)
	mustAdd(t, e, emulator.OAuth2Client{ID: "my app:1", Secret: hardSecret})
	cc := form("grant_type", "client_credentials")

	a := tokenPost(t, e, cc, func(r *http.Request) { r.SetBasicAuth(url.QueryEscape("my app:1"), url.QueryEscape(hardSecret)) })
	if claims := mustToken(t, e, a); claims["client_id"] != "my app:1" || claims["sub"] != "my app:1" {
		t.Errorf("claims %v", claims)
	}
	a = tokenPost(t, e, cc, func(r *http.Request) { r.SetBasicAuth("my app:1", hardSecret) })
	wantError(t, a, http.StatusUnauthorized, "invalid_client")
	if !strings.HasPrefix(a.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("WWW-Authenticate = %q, want a Basic challenge (RFC 6749 §5.2)", a.Header.Get("WWW-Authenticate"))
	}
	if got := e.Requests(); len(got) != 2 || got[0].AuthMethod != "client_secret_basic" || got[1].Error != "invalid_client" {
		t.Errorf("Requests() = %+v", got)
	}
}

func TestOAuth2ClientAuthenticationMethods(t *testing.T) {
	e := oauthServer(t)
	mustAdd(t, e, emulator.OAuth2Client{ID: "conf", Secret: hardSecret})
	mustAdd(t, e, emulator.OAuth2Client{ID: "public"})
	basic := func(id, secret string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret)) }
	}
	tests := []struct {
		name   string
		form   url.Values
		edit   func(*http.Request)
		status int
		code   string
		method string
	}{
		{"client_secret_post with the right secret", form("client_id", "conf", "client_secret", hardSecret), nil, 200, "", "client_secret_post"},
		{"client_secret_post with a wrong secret", form("client_id", "conf", "client_secret", "nope"), nil, 400, "invalid_client", ""},
		{"an unknown client", form("client_id", "who", "client_secret", "x"), nil, 400, "invalid_client", ""},
		{"basic with a wrong secret", nil, basic("conf", "nope"), 401, "invalid_client", ""},
		{"a Bearer authorization instead of Basic", nil, func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") }, 401, "invalid_client", ""},
		{"two methods at once (RFC 6749 §2.3)", form("client_secret", hardSecret), basic("conf", hardSecret), 400, "invalid_request", ""},
		{"basic naming another client_id in the form", form("client_id", "public"), basic("conf", hardSecret), 400, "invalid_request", ""},
		{"none for a client with a secret", form("client_id", "conf"), nil, 400, "invalid_client", ""},
		{"no client at all", nil, nil, 400, "invalid_client", ""},
		{"a public client asking for client_credentials (RFC 6749 §4.4)", form("client_id", "public"), nil, 400, "unauthorized_client", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := form("grant_type", "client_credentials")
			for k, v := range tt.form {
				f[k] = v
			}
			a := tokenPost(t, e, f, tt.edit)
			if tt.status == 200 {
				mustToken(t, e, a)
				if got := e.Requests(); got[len(got)-1].AuthMethod != tt.method {
					t.Errorf("AuthMethod = %q, want %q", got[len(got)-1].AuthMethod, tt.method)
				}
				return
			}
			wantError(t, a, tt.status, tt.code)
			if strings.Contains(a.ErrorDescription, hardSecret) {
				t.Error("error description echoes the secret")
			}
		})
	}
}

// RFC 7523 §2.2 and §3: private_key_jwt with RSA, RSA-PSS and EC keys, and
// each rule of the assertion refused.
func TestOAuth2PrivateKeyJWTChecksEveryRuleOfRFC7523(t *testing.T) {
	e := oauthServer(t)
	rk, ek, other := rsaKey(t), ecKey(t), rsaKey(t)
	mustAdd(t, e, emulator.OAuth2Client{ID: "rsa", PublicKey: &rk.PublicKey})
	mustAdd(t, e, emulator.OAuth2Client{ID: "ec", PublicKey: &ek.PublicKey})
	replayed := assertion(t, jwt.SigningMethodRS256, rk, "rsa", e.TokenURL(), nil, nil)
	tests := []struct {
		name      string
		assertion string
		typ       string
		code      string
	}{
		{"RS256 with aud the token endpoint", assertion(t, jwt.SigningMethodRS256, rk, "rsa", e.TokenURL(), nil, nil), "", ""},
		{"PS256 with aud the issuer", assertion(t, jwt.SigningMethodPS256, rk, "rsa", e.Issuer, nil, nil), "", ""},
		{"ES256", assertion(t, jwt.SigningMethodES256, ek, "ec", e.TokenURL(), nil, nil), "", ""},
		{"first use of an assertion", replayed, "", ""},
		{"a replayed jti", replayed, "", "invalid_client"},
		{"no jti", assertion(t, jwt.SigningMethodRS256, rk, "rsa", e.TokenURL(), jwt.MapClaims{"jti": nil}, nil), "", "invalid_client"},
		{"signed by another key", assertion(t, jwt.SigningMethodRS256, other, "rsa", e.TokenURL(), nil, nil), "", "invalid_client"},
		{"expired", assertion(t, jwt.SigningMethodRS256, rk, "rsa", e.TokenURL(), jwt.MapClaims{"exp": time.Now().Add(-time.Minute).Unix()}, nil), "", "invalid_client"},
		{"no exp", assertion(t, jwt.SigningMethodRS256, rk, "rsa", e.TokenURL(), jwt.MapClaims{"exp": nil}, nil), "", "invalid_client"},
		{"another audience", assertion(t, jwt.SigningMethodRS256, rk, "rsa", "https://elsewhere.example/token", nil, nil), "", "invalid_client"},
		{"iss other than sub", assertion(t, jwt.SigningMethodRS256, rk, "rsa", e.TokenURL(), jwt.MapClaims{"iss": "ec"}, nil), "", "invalid_client"},
		{"alg none", noneJWT(t, "rsa", e.TokenURL()), "", "invalid_client"},
		{"a wrong client_assertion_type", assertion(t, jwt.SigningMethodRS256, rk, "rsa", e.TokenURL(), nil, nil), "urn:other", "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ := tt.typ
			if typ == "" {
				typ = emulator.ClientAssertionType
			}
			a := tokenPost(t, e, form("grant_type", "client_credentials", "client_assertion_type", typ, "client_assertion", tt.assertion), nil)
			if tt.code == "" {
				mustToken(t, e, a)
				return
			}
			wantError(t, a, http.StatusBadRequest, tt.code)
		})
	}
}

func noneJWT(t *testing.T, id, aud string) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": id, "sub": id, "aud": aud, "jti": randomJTI(), "exp": time.Now().Add(time.Minute).Unix()}).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A client registered with a certificate must name it with x5t#S256, as
// Entra ID requires a thumbprint and MSAL sends this one.
func TestOAuth2CertificateClientsMustSendTheX5tS256Thumbprint(t *testing.T) {
	e := oauthServer(t)
	key := rsaKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "app"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	mustAdd(t, e, emulator.OAuth2Client{ID: "app", Certificate: cert})
	if err := e.AddClient(emulator.OAuth2Client{ID: "bad", Certificate: cert, PublicKey: &rsaKey(t).PublicKey}); err == nil {
		t.Error("AddClient accepted a certificate with another client's key")
	}
	for name, tt := range map[string]struct {
		header map[string]any
		ok     bool
	}{
		"with x5t#S256":         {map[string]any{"x5t#S256": emulator.X5TS256(cert)}, true},
		"without a thumbprint":  {nil, false},
		"with a wrong x5t#S256": {map[string]any{"x5t#S256": "AAAA"}, false},
	} {
		t.Run(name, func(t *testing.T) {
			as := assertion(t, jwt.SigningMethodRS256, key, "app", e.TokenURL(), nil, tt.header)
			a := tokenPost(t, e, form("grant_type", "client_credentials", "client_assertion_type", emulator.ClientAssertionType, "client_assertion", as), nil)
			if tt.ok {
				mustToken(t, e, a)
			} else {
				wantError(t, a, http.StatusBadRequest, "invalid_client")
			}
		})
	}
}

// A federated credential admits another issuer's token, with the
// credential's sub and aud, as the client's assertion, as Entra ID's
// workload identity federation does; the same token may be sent again.
func TestOAuth2FederatedCredentialsAdmitATrustedIssuersToken(t *testing.T) {
	e := oauthServer(t)
	k8s := rsaKey(t)
	if err := e.TrustIssuer("https://k8s.example", &k8s.PublicKey); err != nil {
		t.Fatal(err)
	}
	const sa, aud = "system:serviceaccount:ns:app", "api://AzureADTokenExchange"
	mustAdd(t, e, emulator.OAuth2Client{ID: "app", Federated: []emulator.FederatedCredential{{Issuer: "https://k8s.example", Subject: sa, Audience: aud}}})
	send := func(clientID, as string) oauthAnswer {
		return tokenPost(t, e, form("grant_type", "client_credentials", "client_id", clientID,
			"client_assertion_type", emulator.ClientAssertionType, "client_assertion", as), nil)
	}
	good := assertion(t, jwt.SigningMethodRS256, k8s, "https://k8s.example", aud, jwt.MapClaims{"sub": sa}, nil)
	mustToken(t, e, send("app", good))
	mustToken(t, e, send("app", good))
	for name, as := range map[string]string{
		"another subject":     assertion(t, jwt.SigningMethodRS256, k8s, "https://k8s.example", aud, jwt.MapClaims{"sub": "system:serviceaccount:ns:other"}, nil),
		"another audience":    assertion(t, jwt.SigningMethodRS256, k8s, "https://k8s.example", e.TokenURL(), jwt.MapClaims{"sub": sa}, nil),
		"another signer":      assertion(t, jwt.SigningMethodRS256, rsaKey(t), "https://k8s.example", aud, jwt.MapClaims{"sub": sa}, nil),
		"an expired token":    assertion(t, jwt.SigningMethodRS256, k8s, "https://k8s.example", aud, jwt.MapClaims{"sub": sa, "exp": time.Now().Add(-time.Minute).Unix()}, nil),
		"an untrusted issuer": assertion(t, jwt.SigningMethodRS256, k8s, "https://other.example", aud, jwt.MapClaims{"sub": sa}, nil),
	} {
		t.Run(name, func(t *testing.T) { wantError(t, send("app", as), http.StatusBadRequest, "invalid_client") })
	}
	wantError(t, send("", good), http.StatusBadRequest, "invalid_client") // found by sub, which names no client
}
