package symphony_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
	"github.com/tokenplug/tokenplug/plugins/symphony"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testKey = mustKey(2048)

func mustKey(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

func pkcs1PEM(k *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func pkcs8PEM(t *testing.T, k any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func configure(t *testing.T, p symphony.Provider, settings map[string]string) (*jwt.Token, jwt.RegisteredClaims, error) {
	t.Helper()
	ts, err := plugintest.Configure(t.Context(), p, settings)
	if err != nil {
		return nil, jwt.RegisteredClaims{}, err
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	var claims jwt.RegisteredClaims
	parsed, err := jwt.ParseWithClaims(tok.AccessToken, &claims, func(*jwt.Token) (any, error) { return &testKey.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS512"}), jwt.WithTimeFunc(func() time.Time { return time.Unix(1_800_000_100, 0) }))
	if err != nil {
		t.Fatalf("token does not verify with the public key: %v", err)
	}
	if !tok.Expiry.Equal(claims.ExpiresAt.Time) {
		t.Errorf("oauth2 expiry %v != exp claim %v", tok.Expiry, claims.ExpiresAt.Time)
	}
	return parsed, claims, nil
}

func fixedNow() time.Time { return time.Unix(1_800_000_000, 0) }

func TestTokenIsAnRS512JWTWithTheClaimsSymphonyRequires(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(file, []byte(pkcs1PEM(testKey)), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]map[string]string{
		"PKCS#1 from file": {"private_key_file": file, "public_key_name": "acme"},
		"PKCS#8 inline":    {"private_key": pkcs8PEM(t, testKey), "public_key_name": "acme"},
		// As pasted into a one-line YAML string or an environment variable.
		"PKCS#8 with literal \\n":    {"private_key": strings.ReplaceAll(pkcs8PEM(t, testKey), "\n", `\n`), "public_key_name": "acme"},
		"PKCS#1 with literal \\r\\n": {"private_key": strings.ReplaceAll(pkcs1PEM(testKey), "\n", `\r\n`), "public_key_name": "acme"},
	}
	for name, settings := range cases {
		t.Run(name, func(t *testing.T) {
			parsed, c, err := configure(t, symphony.Provider{Now: fixedNow}, settings)
			if err != nil {
				t.Fatal(err)
			}
			if parsed.Method.Alg() != "RS512" {
				t.Errorf("alg = %s", parsed.Method.Alg())
			}
			if c.Subject != "ces:customer:acme" {
				t.Errorf("sub = %q", c.Subject)
			}
			if got := c.ExpiresAt.Sub(c.IssuedAt.Time); got != 25*time.Minute {
				t.Errorf("exp - iat = %v, want the default 25m", got)
			}
			if !c.IssuedAt.Equal(fixedNow()) {
				t.Errorf("iat = %v", c.IssuedAt)
			}
			if len(c.ID) != 36 {
				t.Errorf("jti %q is not a UUID", c.ID)
			}
		})
	}
}

func TestEveryTokenHasAFreshJTIAndTheConfiguredLifetime(t *testing.T) {
	p := symphony.Provider{Now: fixedNow}
	ts, err := plugintest.Configure(t.Context(), p, map[string]string{"private_key": pkcs1PEM(testKey), "public_key_name": "acme", "lifetime": "5m"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 20 {
		tok, _ := ts.Token()
		var c jwt.RegisteredClaims
		if _, _, err := jwt.NewParser().ParseUnverified(tok.AccessToken, &c); err != nil {
			t.Fatal(err)
		}
		if seen[c.ID] {
			t.Fatalf("jti %s repeated", c.ID)
		}
		seen[c.ID] = true
		if d := c.ExpiresAt.Sub(c.IssuedAt.Time); d != 5*time.Minute {
			t.Fatalf("exp - iat = %v, want 5m", d)
		}
	}
}

func TestConfigureNamesTheSettingAtFault(t *testing.T) {
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	dir := t.TempDir()
	good := pkcs1PEM(testKey)
	tests := []struct {
		name     string
		settings map[string]string
		key      string
		msg      string
	}{
		{"no key at all", map[string]string{"public_key_name": "a"}, "private_key_file", "required"},
		{"both key settings", map[string]string{"public_key_name": "a", "private_key": good, "private_key_file": "x"}, "private_key", "not both"},
		{"unreadable file", map[string]string{"public_key_name": "a", "private_key_file": filepath.Join(dir, "missing.pem")}, "private_key_file", "cannot read"},
		{"a PEM pasted as the file's path", map[string]string{"public_key_name": "a", "private_key_file": good}, "private_key_file", "not a file path: it holds a PEM key"},
		{"not PEM", map[string]string{"public_key_name": "a", "private_key": "hello"}, "private_key", "no PEM block"},
		{"EC key", map[string]string{"public_key_name": "a", "private_key": pkcs8PEM(t, ecKey)}, "private_key", "not an RSA key"},
		{"weak key", map[string]string{"public_key_name": "a", "private_key": pkcs1PEM(mustKey(1024))}, "private_key", "1024 bits"},
		{"lifetime over 30m", map[string]string{"public_key_name": "a", "private_key": good, "lifetime": "31m"}, "lifetime", "at most 30m"},
		{"lifetime not a duration", map[string]string{"public_key_name": "a", "private_key": good, "lifetime": "soon"}, "lifetime", "not a duration"},
		{"missing public_key_name", map[string]string{"private_key": good}, "public_key_name", "required"},
		{"undeclared setting", map[string]string{"public_key_name": "a", "private_key": good, "pubkey": "x"}, "pubkey", "unknown setting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := configure(t, symphony.Provider{Now: fixedNow}, tt.settings)
			var se plugin.SettingErrors
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want SettingErrors", err)
			}
			found := false
			for _, e := range se {
				found = found || (e.Key == tt.key && strings.Contains(e.Message, tt.msg))
			}
			if !found {
				t.Fatalf("err = %v, want key %q with %q", err, tt.key, tt.msg)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), good[40:80]) {
				t.Fatalf("error leaks key material: %v", err)
			}
		})
	}
}

// The plugin binary through the real host, and the provider in-process.
func TestConformance(t *testing.T) {
	settings := map[string]string{symphony.SettingPrivateKey: pkcs1PEM(testKey), symphony.SettingPublicKeyName: "acme"}
	plugintest.RunProvider(t, symphony.New(), settings)
	plugintest.Run(t, plugintest.Config{
		Package:  "./cmd/tokenplug-symphony",
		Settings: settings,
		CheckToken: func(t *testing.T, tok *oauth2.Token) {
			if _, err := jwt.Parse(tok.AccessToken, func(*jwt.Token) (any, error) { return &testKey.PublicKey, nil },
				jwt.WithValidMethods([]string{"RS512"})); err != nil {
				t.Errorf("token does not verify with the public key: %v", err)
			}
		},
	})
}

// The default lifetime stays under Symphony's 30-minute maximum with a
// margin for clock skew, and the emulated Symphony Connect accepts its
// tokens, a key pasted with literal \n sequences included, and accepts a
// cached token more than once.
func TestDefaultTokensWithAPastedKeyPassTheEmulatedConnect(t *testing.T) {
	now := fixedNow()
	verifier := emulator.NewSymphony()
	verifier.Now = func() time.Time { return now }
	verifier.Register("acme", &testKey.PublicKey)
	oneLine := strings.ReplaceAll(pkcs1PEM(testKey), "\n", `\n`)
	ts, err := plugintest.Configure(t.Context(), symphony.Provider{Now: fixedNow},
		map[string]string{symphony.SettingPrivateKey: oneLine, symphony.SettingPublicKeyName: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Expiry.Sub(now); got != symphony.DefaultLifetime || got >= symphony.MaxLifetime {
		t.Errorf("default lifetime %v, want %v, under %v", got, symphony.DefaultLifetime, symphony.MaxLifetime)
	}
	for i := range 2 { // the host caches the token: its second use must pass
		if err := verifier.Verify(tok.AccessToken); err != nil {
			t.Fatalf("use %d: emulated Symphony Connect refused the token: %v", i+1, err)
		}
	}
}

// The pasted key is the one secret; its file's path is not.
func TestOnlyThePrivateKeyIsSecret(t *testing.T) {
	plugintest.CheckSecretSettings(t, symphony.Provider{}, map[string]bool{
		symphony.SettingPrivateKey: true, symphony.SettingPrivateKeyFile: false, symphony.SettingPublicKeyName: false, symphony.SettingLifetime: false,
	})
}
