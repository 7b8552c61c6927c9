package emulator_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
	"github.com/tokenplug/tokenplug/plugins/symphony"
)

// symKey is generated once: 2048-bit keys take a while to make.
var symKey, symOtherKey = symNewKey(), symNewKey()

func symNewKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// symToken is a Symphony Connect token as a customer would sign it, or
// raw when set.
type symToken struct {
	method   jwt.SigningMethod
	key      any
	sub      string
	iat, exp time.Time
	jti      string
	raw      string
}

func symValidToken(now time.Time) symToken {
	return symToken{
		method: jwt.SigningMethodRS512, key: symKey, sub: emulator.SymphonySubjectPrefix + "acme-prod",
		iat: now, exp: now.Add(30 * time.Minute), jti: "2b1f7e0c-6a4e-4d3b-9a57-1c0de5f1e001",
	}
}

func (c symToken) sign(t *testing.T) string {
	t.Helper()
	if c.raw != "" {
		return c.raw
	}
	claims := jwt.MapClaims{"sub": c.sub}
	if !c.iat.IsZero() {
		claims["iat"] = c.iat.Unix()
	}
	if !c.exp.IsZero() {
		claims["exp"] = c.exp.Unix()
	}
	if c.jti != "" {
		claims["jti"] = c.jti
	}
	s, err := jwt.NewWithClaims(c.method, claims).SignedString(c.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// symPublicKeyPEM is the registered public key as a PEM: the HMAC secret of the
// classic alg-confusion attack.
func symPublicKeyPEM(t *testing.T) []byte {
	der, err := x509.MarshalPKIXPublicKey(&symKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func symVerifier(now *time.Time) *emulator.Symphony {
	s := emulator.NewSymphony()
	s.Now = func() time.Time { return *now }
	s.Register("acme-prod", &symKey.PublicKey)
	return s
}

// symServer is symVerifier serving on a loopback port until the test ends.
func symServer(t *testing.T, now *time.Time) (*emulator.Symphony, *httptest.Server) {
	s := symVerifier(now)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

// Symphony's documentation does not make a Connect JWT single-use: by
// default the same token verifies again until it expires.
func TestSymphonyVerifyAcceptsAValidTokenAgainByDefault(t *testing.T) {
	now := time.Now()
	s := symVerifier(&now)
	tok := symValidToken(now).sign(t)
	for i := range 3 {
		if err := s.Verify(tok); err != nil {
			t.Fatalf("use %d of a valid token: %v", i+1, err)
		}
	}
}

func TestSymphonyRefuseReplayAcceptsAValidTokenOnce(t *testing.T) {
	now := time.Now()
	s := symVerifier(&now)
	s.RefuseReplay = true
	tok := symValidToken(now).sign(t)
	if err := s.Verify(tok); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	if err := s.Verify(tok); !errors.Is(err, emulator.ErrSymphonyReplayed) {
		t.Fatalf("replayed token: err = %v, want ErrSymphonyReplayed", err)
	}
}

// Each rule Symphony Connect checks has its own refusal: a 401 whose
// body, shaped as Connect's ApiError, names the rule; Verify's error says
// the same.
func TestSymphonyRefusesEachBrokenRuleWithItsOwnAnswer(t *testing.T) {
	now := time.Now()
	s, srv := symServer(t, &now)
	seen := map[string]string{} // body -> the case that got it
	for _, tc := range []struct {
		name, code, message string
		modify              func(*symToken)
	}{
		{"not a JWT", "MALFORMED_TOKEN", "not a well-formed JWT", func(c *symToken) { c.raw = "not-a-jwt" }},
		{"alg none", "INVALID_ALGORITHM", "RS512, not none", func(c *symToken) {
			c.method, c.key = jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType
		}},
		{"HS512 with the public key as secret", "INVALID_ALGORITHM", "RS512, not HS512", func(c *symToken) {
			c.method, c.key = jwt.SigningMethodHS512, symPublicKeyPEM(t)
		}},
		{"HS256", "INVALID_ALGORITHM", "RS512, not HS256", func(c *symToken) { c.method, c.key = jwt.SigningMethodHS256, []byte("secret") }},
		{"RS256 instead of RS512", "INVALID_ALGORITHM", "RS512, not RS256", func(c *symToken) { c.method = jwt.SigningMethodRS256 }},
		{"sub without the customer prefix", "INVALID_SUBJECT", `got "acme-prod"`, func(c *symToken) { c.sub = "acme-prod" }},
		{"sub of a user", "INVALID_SUBJECT", `got "ces:user:acme-prod"`, func(c *symToken) { c.sub = "ces:user:acme-prod" }},
		{"sub without a key name", "INVALID_SUBJECT", `got "ces:customer:"`, func(c *symToken) { c.sub = emulator.SymphonySubjectPrefix }},
		{"unregistered key name", "UNKNOWN_PUBLIC_KEY", `unknown public key name "someone-else"`, func(c *symToken) {
			c.sub = emulator.SymphonySubjectPrefix + "someone-else"
		}},
		{"forged signature", "INVALID_SIGNATURE", "does not verify", func(c *symToken) { c.key = symOtherKey }},
		{"no exp", "MISSING_CLAIM", "no exp", func(c *symToken) { c.exp = time.Time{} }},
		{"expired", "TOKEN_EXPIRED", "expired", func(c *symToken) { c.iat, c.exp = now.Add(-20*time.Minute), now.Add(-5*time.Minute) }},
		{"issued in the future", "TOKEN_ISSUED_IN_THE_FUTURE", "iat is in the future", func(c *symToken) {
			c.iat, c.exp = now.Add(10*time.Minute), now.Add(20*time.Minute)
		}},
		{"no iat", "MISSING_CLAIM", "no iat", func(c *symToken) { c.iat = time.Time{} }},
		{"lifetime over 30 minutes", "TOKEN_LIFETIME_TOO_LONG", "more than 30 minutes", func(c *symToken) { c.exp = c.iat.Add(31 * time.Minute) }},
		{"no jti", "MISSING_CLAIM", "no jti", func(c *symToken) { c.jti = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := symValidToken(now)
			tc.modify(&c)
			tok := c.sign(t)
			if err := s.Verify(tok); err == nil || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("Verify: %v, want an error saying %q", err, tc.message)
			}
			code, body := vgCall(t, srv, "GET", "/", tok, "")
			var got struct{ Code, Message string }
			if err := json.Unmarshal([]byte(body), &got); err != nil || code != http.StatusUnauthorized ||
				got.Code != tc.code || !strings.Contains(got.Message, tc.message) {
				t.Fatalf("got %d %s, want 401 with code %s and a message saying %q", code, body, tc.code, tc.message)
			}
			if strings.Contains(body, tok) {
				t.Errorf("the answer echoes the token: %s", body)
			}
			if other, dup := seen[body]; dup {
				t.Errorf("same answer as %q: %s", other, body)
			}
			seen[body] = tc.name
		})
	}
	if s.Accepted() != 0 {
		t.Errorf("Accepted() = %d, want 0", s.Accepted())
	}
}

// The leeway for clock skew: a token issued moments ahead of the
// verifier's clock, or expired moments ago, still verifies.
func TestSymphonyAcceptsSkewWithinTheLeeway(t *testing.T) {
	now := time.Now()
	s := symVerifier(&now)
	for name, modify := range map[string]func(*symToken){
		"iat 20s ahead":    func(c *symToken) { c.iat, c.exp = now.Add(20*time.Second), now.Add(10*time.Minute) },
		"exp 20s ago":      func(c *symToken) { c.iat, c.exp = now.Add(-10*time.Minute), now.Add(-20*time.Second) },
		"exactly 30 min":   func(c *symToken) { c.exp = c.iat.Add(emulator.SymphonyMaxLifetime) },
		"a one-second jwt": func(c *symToken) { c.exp = c.iat.Add(time.Second) },
	} {
		c := symValidToken(now)
		modify(&c)
		if err := s.Verify(c.sign(t)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSymphonyForgetsJTIsOnceTheirTokensExpire(t *testing.T) {
	now := time.Now()
	s := symVerifier(&now)
	s.RefuseReplay = true
	first := symValidToken(now)
	first.exp = now.Add(time.Minute)
	if err := s.Verify(first.sign(t)); err != nil {
		t.Fatal(err)
	}
	// Once the first token can no longer be used, its jti may come again:
	// remembering it for ever is what would make memory grow without bound.
	now = now.Add(2 * time.Minute)
	second := symValidToken(now)
	second.jti = first.jti
	if err := s.Verify(second.sign(t)); err != nil {
		t.Fatalf("jti reused after the first token expired: %v", err)
	}
}

func TestSymphonyHandlerRequiresAValidBearerToken(t *testing.T) {
	now := time.Now()
	s, srv := symServer(t, &now)
	tok := symValidToken(now).sign(t)
	if code, body := vgCall(t, srv, "GET", "/any/path", tok, ""); code != http.StatusOK {
		t.Fatalf("valid token: %d %s", code, body)
	}
	if code, body := vgCall(t, srv, "GET", "/any/path", tok, ""); code != http.StatusOK {
		t.Errorf("second use: %d %s, want 200 (replay refusal is off by default)", code, body)
	}
	strict, strictSrv := symServer(t, &now)
	strict.RefuseReplay = true
	_, _ = vgCall(t, strictSrv, "GET", "/", tok, "")
	if code, body := vgCall(t, strictSrv, "GET", "/any/path", tok, ""); code != http.StatusUnauthorized || !strings.Contains(body, "jti already used") {
		t.Errorf("replay with RefuseReplay: %d %s, want 401 with reason", code, body)
	}
	if code, body := vgCall(t, srv, "POST", "/", "", ""); code != http.StatusUnauthorized || !strings.Contains(body, `"code":"MISSING_TOKEN"`) {
		t.Errorf("no token: %d %s, want 401 JSON with code MISSING_TOKEN", code, body)
	}
	if s.Accepted() != 2 {
		t.Errorf("Accepted() = %d, want 2", s.Accepted())
	}
	s.Faults.Set(emulator.Fault{Status: 500, Times: 1})
	if code, _ := vgCall(t, srv, "GET", "/", symValidToken(now).sign(t), ""); code != 500 {
		t.Errorf("with fault: %d, want 500", code)
	}
}

// The real symphony provider's tokens pass every rule: with its default
// lifetime, Symphony's maximum and a short one, and each token more than
// once (the host caches it).
func TestSymphonyAcceptsTokensFromTheSymphonyProvider(t *testing.T) {
	der := x509.MarshalPKCS1PrivateKey(symKey)
	s := emulator.NewSymphony()
	s.Register("acme-prod", &symKey.PublicKey)
	srv := httptest.NewServer(s)
	defer srv.Close()

	for _, lifetime := range []string{"", "30m", "1m"} {
		ts, err := plugintest.Configure(t.Context(), symphony.New(), map[string]string{
			symphony.SettingPrivateKey:    string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der})),
			symphony.SettingPublicKeyName: "acme-prod",
			symphony.SettingLifetime:      lifetime,
		})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		for use := range 2 {
			if code, body := vgCall(t, srv, "GET", "/pod/v1/sessioninfo", tok.AccessToken, ""); code != http.StatusOK {
				t.Fatalf("lifetime %q, use %d of a token from the symphony provider: %d %s", lifetime, use+1, code, body)
			}
		}
	}
	if s.Accepted() != 6 {
		t.Errorf("Accepted() = %d, want 6", s.Accepted())
	}
}
