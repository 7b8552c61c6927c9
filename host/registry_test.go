package host_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/internal/poll"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin"
)

var symphonyKey, _ = rsa.GenerateKey(rand.Reader, 2048)

func symphonySettings() map[string]string {
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(symphonyKey)})
	return map[string]string{"private_key": string(pemKey), "public_key_name": "acme"}
}

func TestRegistryLaunchesThePluginAndReusesTheToken(t *testing.T) {
	reg, _ := newRegistry(t)
	src := mustSource(t, reg, "sym", host.ProviderConfig{Path: testbin.Path("symphony"), Settings: symphonySettings()})

	tok := mustToken(t, src)
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(tok.AccessToken, &claims, func(*jwt.Token) (any, error) { return &symphonyKey.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS512"}))
	if err != nil {
		t.Fatalf("token from the plugin does not verify: %v", err)
	}
	if claims.Subject != "ces:customer:acme" {
		t.Fatalf("sub = %q", claims.Subject)
	}
	again, err := src.Token(ctxT(t))
	if err != nil || again != tok {
		t.Fatalf("second Token = %v, %v; want the cached token", again, err)
	}
	desc, err := src.Describe(ctxT(t))
	if err != nil || desc.Name != "symphony" || desc.Version == "" {
		t.Fatalf("Describe = %+v, %v", desc, err)
	}
}

func TestRegisterRejectsBadConfig(t *testing.T) {
	reg, _ := newRegistry(t)
	tests := []struct {
		name, provider string
		cfg            host.ProviderConfig
		want           string
	}{
		{"no plugin", "a", host.ProviderConfig{}, `provider "a": plugin: required`},
		{"bad name", "a b", host.ProviderConfig{Plugin: "x"}, `provider "a b": not a provider name`},
		{"bad sha256", "b", host.ProviderConfig{Plugin: "x", SHA256: "abc"}, `provider "b": sha256`},
		{"bad host pattern", "c", host.ProviderConfig{Plugin: "x", Hosts: []string{"*.com"}}, `provider "c": hosts`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := reg.Register(tt.provider, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Register = %v, want error containing %q", err, tt.want)
			}
		})
	}
	if err := reg.Register("dup", host.ProviderConfig{Plugin: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register("dup", host.ProviderConfig{Plugin: "x"}); err == nil {
		t.Fatal("registering a name twice succeeded")
	}
	if _, err := reg.Source("nope"); !errors.Is(err, host.ErrUnknownProvider) {
		t.Fatalf("Source(nope) = %v, want ErrUnknownProvider", err)
	}
}

func TestTokenErrorsNameTheProviderAndTheSetting(t *testing.T) {
	reg, _ := newRegistry(t, host.WithPluginDir(t.TempDir()))
	tests := []struct {
		name     string
		cfg      host.ProviderConfig
		wantKind error
		want     []string
	}{
		{"setting rejected by the plugin", host.ProviderConfig{Path: testbin.Path("symphony"), Settings: map[string]string{"public_key_name": "a", "private_key": "junk"}},
			plugin.ErrConfig, []string{`provider "p0"`, `setting "private_key"`, "no PEM block"}},
		{"undeclared setting", host.ProviderConfig{Path: testbin.Path("symphony"), Settings: map[string]string{"public_key_name": "a", "privatekey": "x"}},
			plugin.ErrConfig, []string{`provider "p1"`, `setting "privatekey"`, "unknown setting"}},
		{"missing binary", host.ProviderConfig{Plugin: "nosuch"},
			plugin.ErrConfig, []string{`provider "p2"`, `plugin "nosuch" not found`, "tokenplug-nosuch"}},
		{"not a plugin", host.ProviderConfig{Path: "/bin/true"},
			plugin.ErrTemporary, []string{`provider "p3"`, "start plugin /bin/true"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "p" + string(rune('0'+i))
			src := mustSource(t, reg, name, tt.cfg)
			_, err := src.Token(ctxT(t))
			if !errors.Is(err, tt.wantKind) {
				t.Fatalf("err = %v, want kind %v", err, tt.wantKind)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestSHA256PinRefusesAChangedBinary(t *testing.T) {
	b, err := os.ReadFile(testbin.Path("symphony"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	reg, _ := newRegistry(t)

	good := mustSource(t, reg, "good", host.ProviderConfig{Path: testbin.Path("symphony"), SHA256: hex.EncodeToString(sum[:]), Settings: symphonySettings()})
	if _, err := good.Token(ctxT(t)); err != nil {
		t.Fatalf("pinned binary with the right digest: %v", err)
	}
	sum[0] ^= 0xff
	bad := mustSource(t, reg, "bad", host.ProviderConfig{Path: testbin.Path("symphony"), SHA256: hex.EncodeToString(sum[:]), Settings: symphonySettings()})
	_, err = bad.Token(ctxT(t))
	if !errors.Is(err, plugin.ErrConfig) || !strings.Contains(err.Error(), "does not match its sha256 pin") {
		t.Fatalf("err = %v, want a clear sha256 mismatch", err)
	}
}

func TestCloseStopsEveryPluginAndFailsLaterCalls(t *testing.T) {
	reg, _ := newRegistry(t)
	src := mustSource(t, reg, "p", host.ProviderConfig{Path: testbin.Path("fault"), Settings: map[string]string{"behavior": "pid"}})
	tok := mustToken(t, src)
	pid := mustAtoi(t, tok.AccessToken)
	reg.Close()
	waitGone(t, pid)
	if _, err := reg.Source("p"); !errors.Is(err, host.ErrClosed) {
		t.Fatalf("Source after Close = %v", err)
	}
	// Not even the cached token is handed out any more.
	if _, err := src.Token(ctxT(t)); !errors.Is(err, host.ErrClosed) {
		t.Fatalf("Token after Close = %v, want ErrClosed", err)
	}
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	poll.Until(t, "process "+strconv.Itoa(pid)+" to exit", func() bool { return !processAlive(pid) })
}
