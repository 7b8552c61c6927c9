package oauth2

import (
	"context"
	"crypto"
	"net/http"
	"os"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// Name is the provider's name; its binary is tokenplug-oauth2.
const Name = "oauth2"

// Version is the provider's version.
const Version = "0.1.0"

// Setting keys (user-facing API).
const (
	SettingTokenURL            = "token_url"
	SettingIssuer              = "issuer"
	SettingGrant               = "grant"
	SettingClientID            = "client_id"
	SettingClientSecret        = "client_secret"
	SettingClientAuth          = "client_auth"
	SettingPrivateKey          = "private_key"
	SettingPrivateKeyFile      = "private_key_file"
	SettingSigningAlg          = "signing_alg"
	SettingKeyID               = "key_id"
	SettingClientAssertionFile = "client_assertion_file"
	SettingAssertionIssuer     = "assertion_issuer"
	SettingAssertionSubject    = "assertion_subject"
	SettingAssertionAudience   = "assertion_audience"
	SettingSubjectTokenFile    = "subject_token_file"
	SettingSubjectTokenType    = "subject_token_type"
	SettingActorTokenFile      = "actor_token_file"
	SettingActorTokenType      = "actor_token_type"
	SettingRequestedTokenType  = "requested_token_type"
	SettingRefreshToken        = "refresh_token"
	SettingScope               = "scope"
	SettingAudience            = "audience"
	SettingResource            = "resource"
	SettingChallengeScopes     = "challenge_scopes"
)

// Provider implements plugin.Provider for any standard OAuth 2.0
// authorization server. The zero value is ready to use and safe for
// concurrent use.
type Provider struct {
	// HTTPClient sends token and discovery requests. Nil means
	// plugin.NewHTTPClient(plugin.DefaultTimeout). Whatever the client, a
	// redirect to another origin is refused.
	HTTPClient *http.Client

	now func() time.Time // nil means time.Now; tests fix it
}

// New returns a Provider with default settings.
func New() Provider { return Provider{} }

// Describe returns the provider's name, version and settings. It declares
// no default hosts: a generic server says nothing about where its tokens
// are used, so a provider without configured hosts sends its token
// nowhere.
func (Provider) Describe() plugin.Description {
	return plugin.Description{Name: Name, Version: Version, Settings: settings}
}

var settings = []plugin.Setting{
	{Key: SettingTokenURL, Description: "token endpoint (https; http to loopback only); or issuer"},
	{Key: SettingIssuer, Description: "issuer URL, for discovery of the token endpoint (RFC 8414, OpenID Connect); or token_url"},
	{Key: SettingGrant, Description: "client_credentials, jwt_bearer (RFC 7523), refresh_token or token_exchange (RFC 8693)", Default: string(GrantClientCredentials)},
	{Key: SettingClientID, Description: "client id"},
	{Key: SettingClientSecret, Description: "client secret (client_auth basic or post)", Secret: true},
	{Key: SettingClientAuth, Description: "basic (default with client_secret), post, private_key_jwt (RFC 7523), none (default otherwise)"},
	{Key: SettingPrivateKey, Description: "PEM private key, RSA or EC P-256, for private_key_jwt and jwt_bearer; or private_key_file", Secret: true},
	{Key: SettingPrivateKeyFile, Description: "path to the PEM private key; or private_key"},
	{Key: SettingSigningAlg, Description: "RS256 (RSA default), PS256, ES256 (EC default)"},
	{Key: SettingKeyID, Description: "kid header of the signed JWTs"},
	{Key: SettingClientAssertionFile, Description: "file holding a ready client assertion (a projected service-account token), read at every fetch"},
	{Key: SettingAssertionIssuer, Description: "jwt_bearer assertion's iss (default client_id)"},
	{Key: SettingAssertionSubject, Description: "jwt_bearer assertion's sub (default client_id)"},
	{Key: SettingAssertionAudience, Description: "jwt_bearer assertion's aud (default the token endpoint)"},
	{Key: SettingSubjectTokenFile, Description: "token_exchange: file holding the subject token, read at every fetch"},
	{Key: SettingSubjectTokenType, Description: "token_exchange: subject token type", Default: DefaultTokenType},
	{Key: SettingActorTokenFile, Description: "token_exchange: file holding the actor token, read at every fetch"},
	{Key: SettingActorTokenType, Description: "token_exchange: actor token type (default " + DefaultTokenType + ")"},
	{Key: SettingRequestedTokenType, Description: "token_exchange: requested token type"},
	{Key: SettingRefreshToken, Description: "refresh_token: the initial refresh token; a rotated one replaces it", Secret: true},
	{Key: SettingScope, Description: "space-separated scopes"},
	{Key: SettingAudience, Description: "audience parameter"},
	{Key: SettingResource, Description: "resource parameter (RFC 8707)"},
	{Key: SettingChallengeScopes, Description: "space-separated scopes a server's WWW-Authenticate challenge may add (default none)"},
}

// Configure validates settings and returns a *TokenSource that fetches a
// new token on every call (the host caches).
func (p Provider) Configure(_ context.Context, s map[string]string) (oauth2.TokenSource, error) {
	cfg, err := configFrom(s)
	if err != nil {
		return nil, err
	}
	cfg.Now = p.now
	return NewTokenSource(cfg, p.HTTPClient)
}

// configFrom maps settings to a Config, loading the private key.
func configFrom(s map[string]string) (Config, error) {
	cfg := Config{
		TokenURL: s[SettingTokenURL], Issuer: s[SettingIssuer], Grant: Grant(s[SettingGrant]),
		ClientID: s[SettingClientID], ClientSecret: s[SettingClientSecret], ClientAuth: AuthMethod(s[SettingClientAuth]),
		SigningAlg: s[SettingSigningAlg], KeyID: s[SettingKeyID], ClientAssertionFile: s[SettingClientAssertionFile],
		AssertionIssuer: s[SettingAssertionIssuer], AssertionSubject: s[SettingAssertionSubject], AssertionAudience: s[SettingAssertionAudience],
		SubjectTokenFile: s[SettingSubjectTokenFile], SubjectTokenType: s[SettingSubjectTokenType],
		ActorTokenFile: s[SettingActorTokenFile], ActorTokenType: s[SettingActorTokenType], RequestedTokenType: s[SettingRequestedTokenType],
		RefreshToken: s[SettingRefreshToken], Scope: s[SettingScope], Audience: s[SettingAudience], Resource: s[SettingResource],
		ChallengeScopes: s[SettingChallengeScopes],
	}
	key, pemData, err := loadKey(s[SettingPrivateKeyFile], s[SettingPrivateKey])
	if err != nil {
		return Config{}, err
	}
	cfg.Key = key
	if pemData != "" {
		// The key's PEM, from the setting or the file, is scrubbed from
		// whatever the server answers, as entra's certificate file is.
		cfg.Secrets = []string{pemData}
	}
	return cfg, nil
}

// loadKey reads the key from private_key_file or private_key (at most one)
// and returns it with the PEM it was read from.
func loadKey(file, inline string) (crypto.Signer, string, error) {
	setting, data := SettingPrivateKey, []byte(inline)
	var err error
	switch {
	case file != "" && inline != "":
		return nil, "", plugin.Errorf(SettingPrivateKey, "set private_key or private_key_file, not both")
	case file == "" && inline == "":
		return nil, "", nil
	case file != "":
		setting = SettingPrivateKeyFile
		if data, err = os.ReadFile(file); err != nil {
			return nil, "", plugin.Errorf(setting, "cannot read: %s", pathErr(err))
		}
	}
	k, err := ParsePrivateKey(data)
	if err != nil {
		return nil, "", plugin.Errorf(setting, "%s", err)
	}
	return k, string(data), nil
}
