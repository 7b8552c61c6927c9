package oauth2

import (
	"crypto"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// RFC 6749 §2.3.1: the id and secret are form-encoded, then base64'd.
func TestBasicAuthFormEncodesIDAndSecretBeforeBase64(t *testing.T) {
	srv := newServer(t)
	const id, secret = "my client:1", "s:e+c/r%e&t=x y"
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{
		SettingTokenURL: srv.URL, SettingClientID: id, SettingClientSecret: secret, SettingScope: "a  b",
	})
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "at-1" || tok.Type() != "Bearer" {
		t.Errorf("token %q type %q", tok.AccessToken, tok.Type())
	}
	got := srv.last(t)
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("my+client%3A1:s%3Ae%2Bc%2Fr%25e%26t%3Dx+y"))
	if h := got.header.Get("Authorization"); h != want {
		t.Errorf("Authorization = %q, want %q", h, want)
	}
	if got.form.Get("grant_type") != "client_credentials" || got.form.Get("scope") != "a b" || got.form.Has("client_secret") {
		t.Errorf("form = %v", got.form)
	}
}

// writeTemp writes content to a file in a test directory.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Each grant and client authentication sends the form its RFC describes.
func TestEachGrantAndClientAuthSendsItsForm(t *testing.T) {
	subject, actor := writeTemp(t, "subject", "subject-jwt\n"), writeTemp(t, "actor", "actor-jwt")
	assertion := writeTemp(t, "assertion", "projected.sa.token")
	for _, tt := range []struct {
		name     string
		settings map[string]string
		want     map[string]string // form fields; "" means absent
		basic    bool
	}{
		{"client_secret_post", map[string]string{SettingClientID: "c", SettingClientSecret: "s", SettingClientAuth: "post", SettingAudience: "api://x", SettingResource: "https://r.example/"},
			map[string]string{"grant_type": "client_credentials", "client_id": "c", "client_secret": "s", "audience": "api://x", "resource": "https://r.example/"}, false},
		{"client_secret_basic", map[string]string{SettingClientID: "c", SettingClientSecret: "s"},
			map[string]string{"grant_type": "client_credentials", "client_id": "", "client_secret": ""}, true},
		{"a public client", map[string]string{SettingClientID: "c", SettingGrant: "refresh_token", SettingRefreshToken: "rt-0"},
			map[string]string{"grant_type": "refresh_token", "refresh_token": "rt-0", "client_id": "c"}, false},
		{"a client assertion file (workload identity)", map[string]string{SettingClientID: "c", SettingClientAssertionFile: assertion},
			map[string]string{"grant_type": "client_credentials", "client_id": "c", "client_assertion": "projected.sa.token", "client_assertion_type": assertionTypeJWTBearer}, false},
		{"token exchange (RFC 8693 §2.1)", map[string]string{SettingClientID: "c", SettingClientSecret: "s", SettingGrant: "token_exchange",
			SettingSubjectTokenFile: subject, SettingActorTokenFile: actor, SettingRequestedTokenType: "urn:ietf:params:oauth:token-type:access_token", SettingScope: "s1"},
			map[string]string{"grant_type": grantTypeTokenExchange, "subject_token": "subject-jwt", "subject_token_type": DefaultTokenType,
				"actor_token": "actor-jwt", "actor_token_type": DefaultTokenType, "requested_token_type": "urn:ietf:params:oauth:token-type:access_token", "scope": "s1"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			tt.settings[SettingTokenURL] = srv.URL + "/token"
			if _, err := plugintest.MustConfigure(t, Provider{}, tt.settings).Token(); err != nil {
				t.Fatal(err)
			}
			got := srv.last(t)
			for k, v := range tt.want {
				if got.form.Get(k) != v || (v == "") == got.form.Has(k) {
					t.Errorf("form %s = %q, want %q", k, got.form.Get(k), v)
				}
			}
			if _, _, ok := (&http.Request{Header: got.header}).BasicAuth(); ok != tt.basic {
				t.Errorf("Basic auth sent: %v, want %v", ok, tt.basic)
			}
		})
	}
}

// RFC 7523 §3 claims, checked with the public key: iss, sub, aud, iat,
// exp at most five minutes on, a jti that is new each time.
func TestSignedAssertionsCarryRFC7523ClaimsAndAFreshJTI(t *testing.T) {
	for _, tt := range []struct {
		name     string
		key      crypto.Signer
		pkcs8    bool
		alg      string
		grant    string
		field    string
		iss, aud string
	}{
		{"private_key_jwt RS256, PKCS#1", rsaKey, false, "", "", "client_assertion", "c", ""},
		{"private_key_jwt PS256, PKCS#8", rsaKey, true, PS256, "", "client_assertion", "c", ""},
		{"private_key_jwt ES256, SEC1", ecKey, false, "", "", "client_assertion", "c", ""},
		{"jwt_bearer ES256, PKCS#8, own claims", ecKey, true, ES256, "jwt_bearer", "assertion", "issuer-x", "https://as.example/aud"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			s := map[string]string{SettingTokenURL: srv.URL + "/token", SettingClientID: "c", SettingPrivateKey: pemOf(t, tt.key, tt.pkcs8),
				SettingSigningAlg: tt.alg, SettingKeyID: "kid-1"}
			if tt.grant != "" {
				s[SettingGrant], s[SettingAssertionIssuer], s[SettingAssertionSubject], s[SettingAssertionAudience] = tt.grant, tt.iss, "subject-y", tt.aud
			} else {
				s[SettingClientAuth] = "private_key_jwt"
			}
			ts := plugintest.MustConfigure(t, Provider{}, s)
			jtis := map[string]bool{}
			for range 3 {
				if _, err := ts.Token(); err != nil {
					t.Fatal(err)
				}
				c := verifyAssertion(t, srv.last(t).form.Get(tt.field), tt.key.Public(), tt.alg)
				wantAud, wantSub := srv.URL+"/token", "c"
				if tt.grant != "" {
					wantAud, wantSub = tt.aud, "subject-y"
				}
				if c.Issuer != tt.iss || c.Subject != wantSub || len(c.Audience) != 1 || c.Audience[0] != wantAud {
					t.Errorf("iss %q sub %q aud %q", c.Issuer, c.Subject, c.Audience)
				}
				if d := c.ExpiresAt.Sub(c.IssuedAt.Time); d <= 0 || d > AssertionLifetime {
					t.Errorf("exp - iat = %v, want at most %v", d, AssertionLifetime)
				}
				if c.ID == "" || jtis[c.ID] {
					t.Errorf("jti %q empty or reused", c.ID)
				}
				jtis[c.ID] = true
			}
		})
	}
}

// verifyAssertion checks the JWT's signature with pub and returns its
// claims; alg "" means the key's default.
func verifyAssertion(t *testing.T, raw string, pub crypto.PublicKey, alg string) jwt.RegisteredClaims {
	t.Helper()
	var c jwt.RegisteredClaims
	tok, err := jwt.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{RS256, PS256, ES256}), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	if err != nil {
		t.Fatalf("assertion does not verify: %v", err)
	}
	if alg != "" && tok.Method.Alg() != alg {
		t.Errorf("alg %s, want %s", tok.Method.Alg(), alg)
	}
	if tok.Header["kid"] != "kid-1" {
		t.Errorf("kid %v", tok.Header["kid"])
	}
	return c
}
