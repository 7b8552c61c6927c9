package azure

import (
	"cmp"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"regexp"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
	oauth2p "github.com/tokenplug/tokenplug/plugins/oauth2"
)

// ModeEntra gets a Microsoft Entra ID (Azure AD) token for an application,
// the credential Microsoft recommends for Azure AI services.
const ModeEntra = "entra"

// Setting keys of mode entra.
const (
	SettingTenantID              = "tenant_id"
	SettingClientID              = "client_id"
	SettingClientSecret          = "client_secret"
	SettingClientCertificateFile = "client_certificate_file"
	SettingFederatedTokenFile    = "federated_token_file"
	SettingScope                 = "scope"
	SettingChallengeScopes       = "challenge_scopes"
)

// entraSettings are the settings only mode entra reads.
var entraSettings = []string{
	SettingTenantID, SettingClientID, SettingClientSecret, SettingClientCertificateFile,
	SettingFederatedTokenFile, SettingScope, SettingChallengeScopes,
}

// tenantRE is a tenant id (a GUID) or a verified domain
// (contoso.onmicrosoft.com). It becomes a path segment of the token URL, so
// nothing else (a slash, a query, an at sign) may get in.
var tenantRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)

// configureEntra returns a token source for the Microsoft identity
// platform's client credentials flow (v2.0 endpoint), as MSAL's
// confidential client sends it: a client secret in the form body
// (client_secret_post), a certificate as a private_key_jwt assertion with
// the x5t#S256 header, or a federated token (workload identity, the file
// AZURE_FEDERATED_TOKEN_FILE names) read at every fetch and sent as the
// client assertion. The source answers claims challenges (Entra ID's
// continuous access evaluation) by sending claims, as MSAL does; scope
// challenges only within challenge_scopes.
func (p Provider) configureEntra(s map[string]string) (oauth2.TokenSource, error) {
	c, ok := clouds[cmp.Or(s[SettingCloud], CloudPublic)]
	if !ok {
		return nil, plugin.Errorf(SettingCloud, "%q is not %s, %s or %s", s[SettingCloud], CloudPublic, CloudUSGov, CloudChina)
	}
	cfg, errs := entraConfig(s, c)
	if len(errs) > 0 {
		return nil, errs
	}
	cfg.Now = p.now
	if err := entraCredential(&cfg, s); err != nil {
		return nil, err
	}
	ts, err := oauth2p.NewTokenSource(cfg, p.HTTPClient)
	return ts, renameSettings(err)
}

// entraConfig checks mode entra's settings, all problems at once, and maps
// them to an oauth2 configuration without its credential.
func entraConfig(s map[string]string, c cloud) (oauth2p.Config, plugin.SettingErrors) {
	var errs plugin.SettingErrors
	add := func(key, msg string) { errs = append(errs, plugin.SettingError{Key: key, Message: msg}) }
	for _, k := range []string{SettingSubscriptionKey, SettingRegion, SettingEndpoint} {
		if s[k] != "" {
			add(k, "not used in mode entra: the token comes from Entra ID (see tenant_id)")
		}
	}
	tokenURL := s[SettingTokenURL]
	switch tenant := s[SettingTenantID]; {
	case tokenURL != "":
	case tenant == "":
		add(SettingTenantID, "required in mode entra unless token_url is set")
	case !tenantRE.MatchString(tenant):
		add(SettingTenantID, "must be a tenant id (a GUID) or a domain such as contoso.onmicrosoft.com")
	default:
		tokenURL = "https://" + c.loginHost + "/" + tenant + "/oauth2/v2.0/token"
	}
	if s[SettingClientID] == "" {
		add(SettingClientID, "required in mode entra")
	}
	if n := countSet(s, SettingClientSecret, SettingClientCertificateFile, SettingFederatedTokenFile); n != 1 {
		add(SettingClientSecret, "mode entra needs exactly one of client_secret, client_certificate_file and federated_token_file")
	}
	return oauth2p.Config{
		TokenURL: tokenURL, ClientID: s[SettingClientID], Name: Name,
		Scope: cmp.Or(s[SettingScope], c.entraScope), ChallengeScopes: s[SettingChallengeScopes],
	}, errs
}

func countSet(s map[string]string, keys ...string) int {
	n := 0
	for _, k := range keys {
		if s[k] != "" {
			n++
		}
	}
	return n
}

// entraCredential sets the one credential the settings give.
func entraCredential(cfg *oauth2p.Config, s map[string]string) error {
	switch {
	case s[SettingClientSecret] != "":
		// MSAL sends the secret in the body (client_secret_post); Entra
		// ID also takes Basic, but this is what it sees from Microsoft's
		// own libraries.
		cfg.ClientSecret, cfg.ClientAuth = s[SettingClientSecret], oauth2p.AuthPost
	case s[SettingFederatedTokenFile] != "":
		cfg.ClientAssertionFile, cfg.ClientAuth = s[SettingFederatedTokenFile], oauth2p.AuthPrivateKeyJWT
	default:
		pemData, err := os.ReadFile(s[SettingClientCertificateFile])
		if err != nil {
			return plugin.Errorf(SettingClientCertificateFile, "cannot read the file: %s", pathError(err))
		}
		key, x5t, err := certificateCredential(pemData)
		if err != nil {
			return plugin.Errorf(SettingClientCertificateFile, "%s", err.Error())
		}
		cfg.Key, cfg.X5TS256, cfg.ClientAuth = key, x5t, oauth2p.AuthPrivateKeyJWT
		cfg.Secrets = []string{string(pemData)}
	}
	return nil
}

// pathError is why a file could not be read, without the path's own
// error text repeated.
func pathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return "unreadable"
}

// certificateCredential reads an Entra ID certificate credential: PEM
// holding a certificate and its private key, in either order (as the Azure
// portal and az ad sp create-for-rbac --create-cert write it). It returns
// the key and the certificate's x5t#S256 thumbprint (RFC 7515 §4.1.8:
// base64url SHA-256 of the DER certificate), by which Entra ID finds the
// credential. The certificate must be the key's: of several, the first
// that is. Errors quote no key material.
func certificateCredential(pemData []byte) (crypto.Signer, string, error) {
	key, err := oauth2p.ParsePrivateKey(pemData)
	if err != nil {
		return nil, "", err
	}
	found := false
	for rest := pemData; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		found = true
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, "", errors.New("malformed CERTIFICATE block")
		}
		if pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok && pub.Equal(key.Public()) {
			sum := sha256.Sum256(cert.Raw)
			return key, base64.RawURLEncoding.EncodeToString(sum[:]), nil
		}
	}
	if !found {
		return nil, "", errors.New("no CERTIFICATE block: the file must hold the certificate and its private key")
	}
	return nil, "", errors.New("no certificate in the file is for its private key")
}

// renameSettings names mode entra's settings in the oauth2 package's
// configuration errors, which name the oauth2 provider's.
func renameSettings(err error) error {
	var errs plugin.SettingErrors
	if !errors.As(err, &errs) {
		return err
	}
	renamed := map[string]string{
		oauth2p.SettingPrivateKey: SettingClientCertificateFile, oauth2p.SettingPrivateKeyFile: SettingClientCertificateFile,
		oauth2p.SettingSigningAlg: SettingClientCertificateFile, oauth2p.SettingClientAssertionFile: SettingFederatedTokenFile,
	}
	out := make(plugin.SettingErrors, len(errs))
	for i, e := range errs {
		out[i] = plugin.SettingError{Key: cmp.Or(renamed[e.Key], e.Key), Message: e.Message}
	}
	return out
}
