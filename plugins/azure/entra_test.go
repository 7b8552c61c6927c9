package azure

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

const (
	entraTenant = "contoso.onmicrosoft.com"
	entraClient = "00000000-0000-0000-0000-0000000000a1"
	// A secret as Entra ID makes them, with the characters form encoding
	// changes.
	entraSecret = "Xy8Q~k3+/Pq%7&Wz=Rt.Lm_Nb9Vc-Hd2Jf"
)

// entraLab is the OAuth2 emulator standing for Entra ID over TLS on
// loopback, reached under the login hosts' names (loopbackClient); its
// issuer is the host a request named. rec records the last token request.
type entraLab struct {
	idp    *emulator.OAuth2
	rec    *plugintest.Recorder
	client *http.Client
}

func newEntraLab(t *testing.T) *entraLab {
	t.Helper()
	l := &entraLab{idp: emulator.NewOAuth2()}
	l.rec = &plugintest.Recorder{Handler: l.idp}
	ts := httptest.NewTLSServer(l.rec)
	t.Cleanup(ts.Close)
	l.client = loopbackClient(t, ts)
	return l
}

// entra returns mode entra settings for entraClient in entraTenant, plus
// the key, value pairs.
func entra(kv ...string) map[string]string {
	m := map[string]string{SettingMode: ModeEntra, SettingTenantID: entraTenant, SettingClientID: entraClient}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// fetch configures the provider against the lab and gets a token that the
// emulator accepts; it returns the token's claims and the request's form.
func (l *entraLab) fetch(t *testing.T, settings map[string]string) (map[string]any, url.Values) {
	t.Helper()
	tok, err := plugintest.MustConfigure(t, Provider{HTTPClient: l.client}, settings).Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return l.check(t, tok)
}

func (l *entraLab) check(t *testing.T, tok *oauth2.Token) (map[string]any, url.Values) {
	t.Helper()
	claims, err := l.idp.Claims(tok.AccessToken)
	if err != nil || tok.Type() != "Bearer" {
		t.Fatalf("token type %q: %v", tok.Type(), err)
	}
	_, body := l.rec.Last()
	form, _ := url.ParseQuery(body)
	return claims, form
}

// MSAL sends a client secret in the form body (client_secret_post), to the
// v2.0 token endpoint of the tenant on the cloud's login host, for the
// cloud's Cognitive Services scope.
func TestEntraGetsATokenFromEachCloudsLoginHost(t *testing.T) {
	for _, tc := range []struct{ cloud, host, scope string }{
		{CloudPublic, "login.microsoftonline.com", "https://cognitiveservices.azure.com/.default"},
		{CloudUSGov, "login.microsoftonline.us", "https://cognitiveservices.azure.us/.default"},
		{CloudChina, "login.chinacloudapi.cn", "https://cognitiveservices.azure.cn/.default"},
	} {
		t.Run(tc.cloud, func(t *testing.T) {
			l := newEntraLab(t)
			if err := l.idp.AddClient(emulator.OAuth2Client{ID: entraClient, Secret: entraSecret}); err != nil {
				t.Fatal(err)
			}
			claims, form := l.fetch(t, entra(SettingCloud, tc.cloud, SettingClientSecret, entraSecret))
			req, _ := l.rec.Last()
			if req.Host != tc.host || req.URL.Path != "/"+entraTenant+"/oauth2/v2.0/token" || req.Header.Get("Authorization") != "" {
				t.Errorf("request to %s%s (Authorization %q)", req.Host, req.URL.Path, req.Header.Get("Authorization"))
			}
			if form.Get("client_secret") != entraSecret || form.Get("scope") != tc.scope || claims["scope"] != tc.scope || claims["iss"] != "https://"+tc.host {
				t.Errorf("form %v, claims %v", form, claims)
			}
			if got := l.idp.Requests(); len(got) != 1 || got[0].AuthMethod != "client_secret_post" {
				t.Errorf("emulator saw %+v", got)
			}
		})
	}
}

// A certificate credential is a private_key_jwt assertion whose x5t#S256
// header is the certificate's SHA-256 thumbprint, as MSAL sends it; the
// emulator, registered with the certificate, refuses it otherwise.
func TestEntraCertificateCredentialSignsWithTheX5tS256Header(t *testing.T) {
	l := newEntraLab(t)
	for name, key := range map[string]crypto.Signer{"RSA": rsaKey(t), "EC P-256": ecKey(t)} {
		t.Run(name, func(t *testing.T) {
			cert, file := certificateFile(t, key, key)
			if err := l.idp.AddClient(emulator.OAuth2Client{ID: entraClient, Certificate: cert}); err != nil {
				t.Fatal(err)
			}
			_, form := l.fetch(t, entra(SettingClientCertificateFile, file))
			tok, _, err := jwt.NewParser().ParseUnverified(form.Get("client_assertion"), jwt.MapClaims{})
			sum := sha256.Sum256(cert.Raw)
			if err != nil || tok.Header["x5t#S256"] != base64.RawURLEncoding.EncodeToString(sum[:]) ||
				form.Get("client_assertion_type") != emulator.ClientAssertionType || form.Has("client_secret") {
				t.Errorf("assertion header %v (%v), form %v", tok.Header, err, form)
			}
		})
	}
}

// A certificate that is not the key's, or a file without one, is a
// configuration error naming client_certificate_file and quoting no key.
func TestEntraCertificateMustBeTheKeys(t *testing.T) {
	key := rsaKey(t)
	_, mismatched := certificateFile(t, rsaKey(t), key)
	keyOnly := filepath.Join(t.TempDir(), "key.pem")
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := os.WriteFile(keyOnly, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, file := range map[string]string{"another key's certificate": mismatched, "no certificate": keyOnly, "no file": keyOnly + ".missing"} {
		t.Run(name, func(t *testing.T) {
			_, err := plugintest.Configure(t.Context(), Provider{}, entra(SettingClientCertificateFile, file))
			plugintest.CheckSettingError(t, err, SettingClientCertificateFile, string(keyPEM))
		})
	}
}

// Workload identity: the federated token file is read again at every
// fetch (the kubelet rotates it) and sent as the client assertion.
func TestEntraFederatedTokenFileIsReadAtEveryFetch(t *testing.T) {
	l := newEntraLab(t)
	k8s := rsaKey(t)
	const iss, sa, aud = "https://oidc.k8s.example", "system:serviceaccount:ns:speech", "api://AzureADTokenExchange"
	if err := l.idp.TrustIssuer(iss, k8s.Public()); err != nil {
		t.Fatal(err)
	}
	fc := emulator.FederatedCredential{Issuer: iss, Subject: sa, Audience: aud}
	if err := l.idp.AddClient(emulator.OAuth2Client{ID: entraClient, Federated: []emulator.FederatedCredential{fc}}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "azure-identity-token")
	var src oauth2.TokenSource
	for i := range 2 {
		projected := signJWT(t, k8s, jwt.MapClaims{"iss": iss, "sub": sa, "aud": aud, "exp": time.Now().Add(time.Hour).Unix(), "n": i})
		if err := os.WriteFile(file, []byte(projected+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if src == nil {
			src = plugintest.MustConfigure(t, Provider{HTTPClient: l.client}, entra(SettingFederatedTokenFile, file))
		}
		tok, err := src.Token()
		if err != nil {
			t.Fatalf("fetch %d: %v", i, err)
		}
		if _, form := l.check(t, tok); form.Get("client_assertion") != projected || form.Get("client_id") != entraClient {
			t.Errorf("fetch %d sent %v, want the file's current token", i, form)
		}
	}
}

// Entra ID's claims challenges (continuous access evaluation) are answered
// with the claims parameter, as MSAL does; a scope challenge is refused
// unless challenge_scopes allows it.
func TestEntraAnswersClaimsChallengesAndScopesOnlyWithinChallengeScopes(t *testing.T) {
	l := newEntraLab(t)
	if err := l.idp.AddClient(emulator.OAuth2Client{ID: entraClient, Secret: entraSecret}); err != nil {
		t.Fatal(err)
	}
	src, ok := plugintest.MustConfigure(t, Provider{HTTPClient: l.client}, entra(SettingClientSecret, entraSecret)).(plugin.ChallengeTokenSource)
	if !ok {
		t.Fatal("mode entra's token source cannot answer challenges")
	}
	const claims = `{"access_token":{"xms_cc":{"values":["cp1"]},"acrs":{"essential":true,"value":"c1"}}}`
	tok, err := src.TokenForChallenge(t.Context(), plugin.Challenge{Error: "insufficient_claims", Claims: claims})
	if err != nil {
		t.Fatal(err)
	}
	got, form := l.check(t, tok)
	if form.Get("claims") != claims || got["acrs"] != "c1" {
		t.Errorf("claims sent %q, token claims %v", form.Get("claims"), got)
	}
	_, err = src.TokenForChallenge(t.Context(), plugin.Challenge{Error: "insufficient_scope", Scope: "https://other.example/.default"})
	if !errors.Is(err, plugin.ErrPermanent) || !strings.Contains(err.Error(), SettingChallengeScopes) {
		t.Errorf("scope challenge: %v, want a permanent error naming %s", err, SettingChallengeScopes)
	}
}

// token_url overrides the login host (a proxy, or the emulator itself).
func TestEntraTokenURLOverridesTheLoginHost(t *testing.T) {
	idp := emulator.StartOAuth2()
	t.Cleanup(idp.Close)
	if err := idp.AddClient(emulator.OAuth2Client{ID: entraClient, Secret: entraSecret}); err != nil {
		t.Fatal(err)
	}
	settings := entra(SettingClientSecret, entraSecret, SettingTokenURL, idp.TokenURL())
	delete(settings, SettingTenantID)
	plugintest.RunProvider(t, Provider{}, settings)
	if idp.Issued() == 0 {
		t.Error("the emulator at token_url issued nothing")
	}
}

func TestEntraSettingsErrorsNameTheSetting(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings map[string]string
		key      string
	}{
		{"no tenant", func() map[string]string {
			s := entra(SettingClientSecret, entraSecret)
			delete(s, SettingTenantID)
			return s
		}(), SettingTenantID},
		{"a tenant with a slash", entra(SettingClientSecret, entraSecret, SettingTenantID, "evil.example/x"), SettingTenantID},
		{"a tenant with an at sign", entra(SettingClientSecret, entraSecret, SettingTenantID, "user@evil.example"), SettingTenantID},
		{"no client id", entra(SettingClientSecret, entraSecret, SettingClientID, ""), SettingClientID},
		{"no credential", entra(), SettingClientSecret},
		{"two credentials", entra(SettingClientSecret, entraSecret, SettingFederatedTokenFile, "/f"), SettingClientSecret},
		{"a subscription key", entra(SettingClientSecret, entraSecret, SettingSubscriptionKey, testKey), SettingSubscriptionKey},
		{"a region", entra(SettingClientSecret, entraSecret, SettingRegion, "westus"), SettingRegion},
		{"a plain http token_url", entra(SettingClientSecret, entraSecret, SettingTokenURL, "http://login.example/token"), SettingTokenURL},
		{"an unknown cloud", entra(SettingClientSecret, entraSecret, SettingCloud, "mars"), SettingCloud},
		{"client_id in token mode", withKey(SettingRegion, "westus", SettingClientID, "x"), SettingClientID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := plugintest.Configure(t.Context(), Provider{}, tc.settings)
			plugintest.CheckSettingError(t, err, tc.key, testKey, entraSecret)
		})
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

// certificateFile writes a PEM file holding a self-signed certificate for
// certKey's public key and then the private key key (the same key, unless
// a test wants a mismatch), and returns the certificate and the path.
func certificateFile(t *testing.T, certKey, key crypto.Signer) (*x509.Certificate, string) {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "speech-app"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, certKey.Public(), certKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	data := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	file := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, file
}

func signJWT(t *testing.T, key *rsa.PrivateKey, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, maps.Clone(claims)).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// entraUpstream is the OAuth2 emulator standing for Entra ID, knowing
// entraClient, after the standard faults and its own refusals.
func entraUpstream(t *testing.T) (*emulator.OAuth2, plugintest.Upstream) {
	idp := emulator.NewOAuth2()
	if err := idp.AddClient(emulator.OAuth2Client{ID: entraClient, Secret: entraSecret}); err != nil {
		t.Fatal(err)
	}
	return idp, plugintest.Upstream{
		Handler: idp,
		Settings: func(u string) map[string]string {
			s := entra(SettingClientSecret, entraSecret, SettingTokenURL, u+"/"+entraTenant+"/oauth2/v2.0/token")
			delete(s, SettingTenantID)
			return s
		},
		Faults: append(plugintest.DefaultFaults(),
			plugintest.Fault{Name: "a wrong client secret", Settings: map[string]string{SettingClientSecret: "Wrong~secret-0123456789abcdef"},
				Says: "invalid_client", Want: plugin.ErrPermanent},
			plugintest.Fault{Name: "slow_down", Status: 400, Body: `{"error":"slow_down"}`, RetryAfter: 3 * time.Second, Want: plugin.ErrRateLimited}),
		ErrorPrefix: "tokenplug/azure: ",
		WithClient:  func(c *http.Client) plugin.Provider { return Provider{HTTPClient: c} },
	}
}

// Mode entra through the real plugin binary and host, and every fault of
// the token endpoint gives its error class.
func TestEntraConformance(t *testing.T) {
	idp, up := entraUpstream(t)
	ts := httptest.NewServer(idp)
	t.Cleanup(ts.Close)
	plugintest.Run(t, plugintest.Config{
		Package:  "./cmd/tokenplug-azure",
		Settings: up.Settings(ts.URL),
		Upstream: &up,
		CheckToken: func(t *testing.T, tok *oauth2.Token) {
			if claims, err := idp.Claims(tok.AccessToken); err != nil || claims["scope"] != "https://cognitiveservices.azure.com/.default" {
				t.Errorf("token claims %v: %v", claims, err)
			}
		},
	})
	plugintest.RunFaults(t, Provider{}, up)
}
