package oauth2

import (
	"crypto"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokenplug/tokenplug/plugin"
)

// Grant is an OAuth 2.0 grant the token source uses.
type Grant string

// The grants.
const (
	GrantClientCredentials Grant = "client_credentials" // RFC 6749 §4.4
	GrantJWTBearer         Grant = "jwt_bearer"         // RFC 7523 §2.1: a JWT signed with Config.Key is the grant
	GrantRefreshToken      Grant = "refresh_token"      // RFC 6749 §6, with rotation
	GrantTokenExchange     Grant = "token_exchange"     // RFC 8693 §2.1
)

// AuthMethod is how the client authenticates to the token endpoint.
type AuthMethod string

// The client authentication methods.
const (
	AuthBasic         AuthMethod = "basic"           // client_secret_basic, RFC 6749 §2.3.1
	AuthPost          AuthMethod = "post"            // client_secret_post, RFC 6749 §2.3.1
	AuthPrivateKeyJWT AuthMethod = "private_key_jwt" // RFC 7523 §2.2, OpenID Connect Core §9
	AuthNone          AuthMethod = "none"            // a public client: client_id only
)

// DefaultTokenType is the token type of token exchange's subject and actor
// tokens when the configuration names none (RFC 8693 §3).
const DefaultTokenType = "urn:ietf:params:oauth:token-type:jwt"

// DefaultLifetime is the lifetime of an access token whose response gives
// neither expires_in (RFC 6749 §5.1 only recommends it) nor a JWT exp. An
// hour is what most servers issue; a token that dies sooner is refused by
// its resource server with a 401, after which the host fetches a new one.
const DefaultLifetime = time.Hour

// Config configures a TokenSource: one client of one token endpoint. The
// zero values of the optional fields are the defaults the oauth2 provider's
// settings document. Fields named after a setting are validated as that
// setting, and errors name it (a plugin.SettingErrors), so a provider built
// on this package (azure's entra mode) reports the key its user wrote when
// it keeps the setting names, or maps them otherwise.
type Config struct {
	// TokenURL is the token endpoint: https, or http to loopback only.
	// Exactly one of TokenURL and Issuer is required.
	TokenURL string
	// Issuer is discovered on first use (RFC 8414 §3, then OpenID
	// Connect Discovery §4); the document's issuer must equal it.
	Issuer string

	Grant Grant // empty: GrantClientCredentials

	ClientID     string
	ClientSecret string // secret
	// ClientAuth empty: AuthBasic when ClientSecret is set, else
	// AuthPrivateKeyJWT when ClientAssertionFile is set, else AuthNone.
	ClientAuth AuthMethod

	// Key signs client assertions (AuthPrivateKeyJWT) and the grant's
	// assertion (GrantJWTBearer): an *rsa.PrivateKey or a P-256
	// *ecdsa.PrivateKey, as ParsePrivateKey returns.
	Key        crypto.Signer
	SigningAlg string // RS256, PS256, ES256; empty: RS256 for RSA, ES256 for EC
	KeyID      string // the JWT header's kid; empty: none
	// X5TS256 is the JWT header's x5t#S256 (RFC 7515 §4.1.8): the
	// base64url SHA-256 of the DER certificate of Key, by which Entra ID
	// finds a certificate credential, as MSAL sends it. Empty: none.
	X5TS256 string

	// ClientAssertionFile holds a ready client assertion (a projected
	// Kubernetes service-account token), read again at every fetch and
	// sent as an RFC 7523 §2.2 client_assertion: workload identity
	// federation. With AuthPrivateKeyJWT it takes the place of Key.
	ClientAssertionFile string

	// Claims of a GrantJWTBearer assertion. Empty: ClientID, ClientID and
	// the token endpoint.
	AssertionIssuer, AssertionSubject, AssertionAudience string

	// GrantTokenExchange (RFC 8693 §2.1): files read at every fetch; types
	// empty mean DefaultTokenType; RequestedTokenType empty sends none.
	SubjectTokenFile, SubjectTokenType string
	ActorTokenFile, ActorTokenType     string
	RequestedTokenType                 string

	// RefreshToken is GrantRefreshToken's initial refresh token (secret).
	// A rotated one replaces it in memory, and the token that brought it
	// carries it as a settings update under "refresh_token".
	RefreshToken string

	Scope    string // space-separated; sent as scope (RFC 6749 §3.3)
	Audience string // sent as audience (RFC 8693 §2.1; Auth0, Okta)
	Resource string // sent as resource (RFC 8707 §2)

	// ChallengeScopes lists, space-separated, the scopes a resource
	// server's challenge may add to Scope (see TokenForChallenge).
	ChallengeScopes string

	// Params are extra form parameters sent with every token request.
	Params url.Values

	// Secrets are further values to redact from anything the server
	// answers that reaches an error: the PEM text of Key, say. The
	// client secret, refresh tokens, assertions and token files are
	// redacted without being listed.
	Secrets []string

	// Name is the provider named in errors ("tokenplug/<Name>: ...").
	// Empty: "oauth2".
	Name string
	// DefaultLifetime replaces the package's DefaultLifetime when > 0.
	DefaultLifetime time.Duration
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// NewTokenSource validates cfg and returns a token source that fetches a
// new token from the endpoint on every call (a host caches). client sends
// the requests; nil means plugin.NewHTTPClient(plugin.DefaultTimeout).
// Whatever the client, a redirect to another origin is refused. A bad
// configuration is a plugin.SettingErrors naming every bad setting.
func NewTokenSource(cfg Config, client *http.Client) (*TokenSource, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	return newTokenSource(cfg, client)
}

// normalize fills in defaults and checks that the configuration's parts
// fit together, collecting every problem.
func (c *Config) normalize() error {
	var errs plugin.SettingErrors
	add := func(key, msg string) { errs = append(errs, plugin.SettingError{Key: key, Message: msg}) }
	if c.Name == "" {
		c.Name = Name
	}
	if c.Grant == "" {
		c.Grant = GrantClientCredentials
	}
	c.ClientAuth = defaultAuth(*c)
	c.checkEndpoint(add)
	c.checkAuth(add)
	c.checkGrant(add)
	c.Scope, c.ChallengeScopes = normScopes(c.Scope), normScopes(c.ChallengeScopes)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.DefaultLifetime <= 0 {
		c.DefaultLifetime = DefaultLifetime
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func defaultAuth(c Config) AuthMethod {
	switch {
	case c.ClientAuth != "":
		return c.ClientAuth
	case c.ClientSecret != "":
		return AuthBasic
	case c.ClientAssertionFile != "":
		return AuthPrivateKeyJWT
	}
	return AuthNone
}

func (c *Config) checkEndpoint(add func(key, msg string)) {
	switch {
	case c.TokenURL != "" && c.Issuer != "":
		add(SettingTokenURL, "set token_url or issuer, not both")
	case c.TokenURL == "" && c.Issuer == "":
		add(SettingTokenURL, "required (or issuer, for discovery)")
	case c.TokenURL != "":
		checkURL(SettingTokenURL, c.TokenURL, add)
	default:
		checkURL(SettingIssuer, c.Issuer, add)
	}
}

func checkURL(key, v string, add func(key, msg string)) {
	var se plugin.SettingError
	if _, err := plugin.URL(map[string]string{key: v}, key); errors.As(err, &se) {
		add(key, se.Message)
	}
}

func (c *Config) checkAuth(add func(key, msg string)) {
	// A client that authenticates names itself; so does client_credentials.
	// A public client's jwt_bearer, refresh or exchange request need not
	// (RFC 7523 §3.1, RFC 8693 §2.1).
	if c.ClientID == "" && (c.ClientAuth != AuthNone || c.Grant == GrantClientCredentials) {
		add(SettingClientID, "required")
	}
	switch c.ClientAuth {
	case AuthBasic, AuthPost:
		if c.ClientSecret == "" {
			add(SettingClientSecret, "required with client_auth "+string(c.ClientAuth))
		}
	case AuthPrivateKeyJWT:
		if c.Key == nil && c.ClientAssertionFile == "" {
			add(SettingPrivateKey, "client_auth private_key_jwt needs private_key, private_key_file or client_assertion_file")
		}
		if c.ClientSecret != "" {
			add(SettingClientSecret, "not used with client_auth private_key_jwt; remove it")
		}
	case AuthNone:
		if c.ClientSecret != "" {
			add(SettingClientSecret, "not used with client_auth none; remove it")
		}
	default:
		add(SettingClientAuth, "unknown client_auth (want basic, post, private_key_jwt or none)")
	}
	if c.ClientAssertionFile != "" {
		checkReadable(SettingClientAssertionFile, c.ClientAssertionFile, add)
	}
	if c.Key != nil {
		if _, err := signingMethod(c.SigningAlg, c.Key); err != nil {
			add(SettingSigningAlg, err.Error())
		}
	}
}

func (c *Config) checkGrant(add func(key, msg string)) {
	switch c.Grant {
	case GrantClientCredentials:
	case GrantJWTBearer:
		if c.Key == nil {
			add(SettingPrivateKey, "grant jwt_bearer needs private_key or private_key_file to sign its assertion")
		}
		if c.ClientID == "" && (c.AssertionIssuer == "" || c.AssertionSubject == "") {
			add(SettingAssertionIssuer, "grant jwt_bearer needs assertion_issuer and assertion_subject, or client_id")
		}
	case GrantRefreshToken:
		if c.RefreshToken == "" {
			add(SettingRefreshToken, "required with grant refresh_token")
		}
	case GrantTokenExchange:
		if c.SubjectTokenFile == "" {
			add(SettingSubjectTokenFile, "required with grant token_exchange")
		} else {
			checkReadable(SettingSubjectTokenFile, c.SubjectTokenFile, add)
		}
		if c.ActorTokenFile != "" {
			checkReadable(SettingActorTokenFile, c.ActorTokenFile, add)
		}
		if c.SubjectTokenType == "" {
			c.SubjectTokenType = DefaultTokenType
		}
		if c.ActorTokenType == "" && c.ActorTokenFile != "" {
			c.ActorTokenType = DefaultTokenType
		}
	default:
		add(SettingGrant, "unknown grant (want client_credentials, jwt_bearer, refresh_token or token_exchange)")
	}
}

// normScopes collapses runs of spaces: RFC 6749 §3.3 scopes are
// space-delimited.
func normScopes(s string) string { return strings.Join(strings.Fields(s), " ") }

// signerFor returns the signing method for the (validated) key, or nil.
func (c *Config) signerFor() jwt.SigningMethod {
	if c.Key == nil {
		return nil
	}
	m, _ := signingMethod(c.SigningAlg, c.Key)
	return m
}
