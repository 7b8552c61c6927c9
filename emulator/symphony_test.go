package emulator_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
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

// symToken is a Symphony Connect token as a customer would sign it.
type symToken struct {
	method   jwt.SigningMethod
	key      any
	name     string
	iat, exp time.Time
	jti      string
}

func symValidToken(now time.Time) symToken {
	return symToken{
		method: jwt.SigningMethodRS512, key: symKey, name: "acme-prod",
		iat: now, exp: now.Add(30 * time.Minute), jti: "2b1f7e0c-6a4e-4d3b-9a57-1c0de5f1e001",
	}
}

func (c symToken) sign(t *testing.T) string {
	t.Helper()
	claims := jwt.MapClaims{"sub": emulator.SymphonySubjectPrefix + c.name}
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

func TestSymphonyVerifyRejectsTokensThatBreakARule(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name   string
		modify func(*symToken)
		want   string
	}{
		{"unregistered key name", func(c *symToken) { c.name = "someone-else" }, "unknown public key name"},
		{"RS256 instead of RS512", func(c *symToken) { c.method = jwt.SigningMethodRS256 }, "signing method RS256 is invalid"},
		{"HS512 with the public key as secret", func(c *symToken) {
			c.method, c.key = jwt.SigningMethodHS512, symPublicKeyPEM(t)
		}, "signing method HS512 is invalid"},
		{"alg none", func(c *symToken) {
			c.method, c.key = jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType
		}, "signing method none is invalid"},
		{"signed with another key", func(c *symToken) { c.key = symOtherKey }, "verification error"},
		{"lifetime over 30 minutes", func(c *symToken) { c.exp = c.iat.Add(31 * time.Minute) }, "more than 30 minutes"},
		{"expired", func(c *symToken) { c.iat, c.exp = now.Add(-20*time.Minute), now.Add(-5*time.Minute) }, "expired"},
		{"issued in the future", func(c *symToken) { c.iat, c.exp = now.Add(10*time.Minute), now.Add(20*time.Minute) }, "used before issued"},
		{"no exp", func(c *symToken) { c.exp = time.Time{} }, "exp claim is required"},
		{"no iat", func(c *symToken) { c.iat = time.Time{} }, "no iat"},
		{"no jti", func(c *symToken) { c.jti = "" }, "no jti"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := symVerifier(&now)
			c := symValidToken(now)
			tc.modify(&c)
			err := s.Verify(c.sign(t))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
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
	s := symVerifier(&now)
	srv := httptest.NewServer(s)
	defer srv.Close()

	tok := symValidToken(now).sign(t)
	if code, body := vgCall(t, srv, "GET", "/any/path", tok, ""); code != http.StatusOK {
		t.Fatalf("valid token: %d %s", code, body)
	}
	if code, body := vgCall(t, srv, "GET", "/any/path", tok, ""); code != http.StatusOK {
		t.Errorf("second use: %d %s, want 200 (replay refusal is off by default)", code, body)
	}
	strict := symVerifier(&now)
	strict.RefuseReplay = true
	strictSrv := httptest.NewServer(strict)
	defer strictSrv.Close()
	_, _ = vgCall(t, strictSrv, "GET", "/", tok, "")
	if code, body := vgCall(t, strictSrv, "GET", "/any/path", tok, ""); code != http.StatusUnauthorized || !strings.Contains(body, "jti already used") {
		t.Errorf("replay with RefuseReplay: %d %s, want 401 with reason", code, body)
	}
	if code, body := vgCall(t, srv, "POST", "/", "", ""); code != http.StatusUnauthorized || !strings.Contains(body, `"error"`) {
		t.Errorf("no token: %d %s, want 401 JSON", code, body)
	}
	if s.Accepted() != 2 {
		t.Errorf("Accepted() = %d, want 2", s.Accepted())
	}
	s.Faults.Set(emulator.Fault{Status: 500, Times: 1})
	if code, _ := vgCall(t, srv, "GET", "/", symValidToken(now).sign(t), ""); code != 500 {
		t.Errorf("with fault: %d, want 500", code)
	}
}

func TestSymphonyAcceptsTokensFromTheSymphonyProvider(t *testing.T) {
	der := x509.MarshalPKCS1PrivateKey(symKey)
	ts, err := plugintest.Configure(t.Context(), symphony.New(), map[string]string{
		symphony.SettingPrivateKey:    string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der})),
		symphony.SettingPublicKeyName: "acme-prod",
	})
	if err != nil {
		t.Fatal(err)
	}
	s := emulator.NewSymphony()
	s.Register("acme-prod", &symKey.PublicKey)
	srv := httptest.NewServer(s)
	defer srv.Close()

	for i := range 3 { // each token carries a fresh jti, so none is a replay
		tok, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		if code, body := vgCall(t, srv, "GET", "/pod/v1/sessioninfo", tok.AccessToken, ""); code != http.StatusOK {
			t.Fatalf("token %d from the symphony provider: %d %s", i, code, body)
		}
	}
	if s.Accepted() != 3 {
		t.Errorf("Accepted() = %d, want 3", s.Accepted())
	}
}
