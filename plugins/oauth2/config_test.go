package oauth2

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

func TestBadConfigurationsNameTheirSetting(t *testing.T) {
	rsaPEM := pemOf(t, rsaKey, false)
	const u = "https://as.example/token"
	for _, tt := range []struct {
		name     string
		settings map[string]string
		key      string
	}{
		{"neither token_url nor issuer", map[string]string{SettingClientID: "c"}, SettingTokenURL},
		{"both token_url and issuer", map[string]string{SettingTokenURL: u, SettingIssuer: "https://as.example", SettingClientID: "c"}, SettingTokenURL},
		{"plain http to another host", map[string]string{SettingTokenURL: "http://as.example/token", SettingClientID: "c"}, SettingTokenURL},
		{"an issuer that is not a URL", map[string]string{SettingIssuer: "as.example", SettingClientID: "c"}, SettingIssuer},
		{"an unknown grant", map[string]string{SettingTokenURL: u, SettingClientID: "c", SettingGrant: "password"}, SettingGrant},
		{"an unknown client_auth", map[string]string{SettingTokenURL: u, SettingClientID: "c", SettingClientAuth: "mtls"}, SettingClientAuth},
		{"private_key_jwt without a key", map[string]string{SettingTokenURL: u, SettingClientID: "c", SettingClientAuth: "private_key_jwt"}, SettingPrivateKey},
		{"jwt_bearer without a key", map[string]string{SettingTokenURL: u, SettingClientID: "c", SettingGrant: "jwt_bearer"}, SettingPrivateKey},
		{"basic without a secret", map[string]string{SettingTokenURL: u, SettingClientID: "c", SettingClientAuth: "basic"}, SettingClientSecret},
		{"jwt_bearer with basic auth but no client id", map[string]string{SettingTokenURL: u, SettingGrant: "jwt_bearer", SettingClientSecret: "secret-value-1",
			SettingPrivateKey: rsaPEM, SettingAssertionIssuer: "i", SettingAssertionSubject: "s"}, SettingClientID},
		{"client_credentials without a client id", map[string]string{SettingTokenURL: u, SettingClientSecret: "secret-value-1"}, SettingClientID},
		{"refresh_token without one", map[string]string{SettingTokenURL: u, SettingClientID: "c", SettingGrant: "refresh_token"}, SettingRefreshToken},
		{"token_exchange without a subject token", map[string]string{SettingTokenURL: u, SettingClientID: "c", SettingGrant: "token_exchange"}, SettingSubjectTokenFile},
		{"a subject token file that is missing", map[string]string{SettingTokenURL: u, SettingClientID: "c", SettingGrant: "token_exchange", SettingSubjectTokenFile: "/no/such/file"}, SettingSubjectTokenFile},
		{"ES256 with an RSA key", map[string]string{SettingTokenURL: u, SettingClientID: "c", SettingClientAuth: "private_key_jwt", SettingPrivateKey: rsaPEM, SettingSigningAlg: "ES256"}, SettingSigningAlg},
		{"an unknown signing_alg", map[string]string{SettingTokenURL: u, SettingClientID: "c", SettingClientAuth: "private_key_jwt", SettingPrivateKey: rsaPEM, SettingSigningAlg: "HS256"}, SettingSigningAlg},
		{"a key that is not PEM", map[string]string{SettingTokenURL: u, SettingClientID: "c", SettingClientAuth: "private_key_jwt", SettingPrivateKey: "not-a-key-but-secret"}, SettingPrivateKey},
		{"both private_key and private_key_file", map[string]string{SettingTokenURL: u, SettingClientID: "c", SettingPrivateKey: rsaPEM, SettingPrivateKeyFile: "/k.pem"}, SettingPrivateKey},
		{"a private_key_file that is missing", map[string]string{SettingTokenURL: u, SettingClientID: "c", SettingPrivateKeyFile: "/no/such/key.pem"}, SettingPrivateKeyFile},
		{"a secret with client_auth none", map[string]string{SettingTokenURL: u, SettingClientID: "c", SettingClientAuth: "none", SettingClientSecret: "secret-value-1"}, SettingClientSecret},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := plugintest.Configure(t.Context(), Provider{}, tt.settings)
			plugintest.CheckSettingError(t, err, tt.key, tt.settings[SettingPrivateKey], tt.settings[SettingClientSecret])
		})
	}
}

func TestKeysLoadInEveryPEMForm(t *testing.T) {
	cert := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	for name, pem := range map[string]string{
		"RSA PKCS#1": pemOf(t, rsaKey, false), "RSA PKCS#8": pemOf(t, rsaKey, true),
		"EC SEC1": pemOf(t, ecKey, false), "EC PKCS#8": pemOf(t, ecKey, true),
		"a certificate before the key":    cert + pemOf(t, ecKey, true),
		"a one-line PEM with literal \\n": strings.ReplaceAll(pemOf(t, rsaKey, false), "\n", `\n`),
	} {
		if _, err := ParsePrivateKey([]byte(pem)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The private key's PEM is scrubbed from what the server answers whether
// it came from private_key or from private_key_file.
func TestThePrivateKeyIsASecretFromTheSettingAndFromTheFile(t *testing.T) {
	pem := pemOf(t, ecKey, true)
	file := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(file, []byte(pem), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]map[string]string{
		"private_key":      {SettingPrivateKey: pem},
		"private_key_file": {SettingPrivateKeyFile: file},
	} {
		cfg, err := configFrom(s)
		if err != nil || !slices.Contains(cfg.Secrets, pem) {
			t.Errorf("%s: configFrom = %v secrets of %d; want the PEM among the secrets", name, err, len(cfg.Secrets))
		}
	}
}
