package emulator

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The grant types, client assertion type and token types of the standards
// the OAuth2 emulator implements.
const (
	GrantClientCredentials = "client_credentials"                              // RFC 6749 §4.4
	GrantRefreshToken      = "refresh_token"                                   // RFC 6749 §6
	GrantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"     // RFC 7523 §2.1
	GrantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange" // RFC 8693 §2.1
	// ClientAssertionType is the client_assertion_type of private_key_jwt
	// client authentication (RFC 7523 §2.2).
	ClientAssertionType  = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token" // RFC 8693 §3
	TokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"          // RFC 8693 §3
	TokenTypeIDToken     = "urn:ietf:params:oauth:token-type:id_token"     // RFC 8693 §3
)

// oauth2DefaultLifetime is the expires_in of issued access tokens: one hour,
// as most authorization servers (Entra ID, Okta, Keycloak's default is 5
// minutes) issue.
const oauth2DefaultLifetime = time.Hour

// OAuth2 emulates a standard OAuth 2.0 authorization server's token side:
// discovery, a JWKS, and a token endpoint with the client_credentials,
// jwt-bearer, refresh_token (with rotation) and token-exchange grants. It is
// an http.Handler. Create it with StartOAuth2, or NewOAuth2 to serve it
// yourself.
//
// Paths, relative to the issuer: /.well-known/oauth-authorization-server
// (RFC 8414 §3, inserted before the issuer's path) and
// /.well-known/openid-configuration (OpenID Connect Discovery §4, appended
// to it) answer the metadata; any path ending in /jwks answers the JWKS
// with the emulator's RS256 key; any path ending in /token is the token
// endpoint (so a vendor's path such as /{tenant}/oauth2/v2.0/token works).
//
// The token endpoint checks, in order: the injected Faults; POST (else 405);
// a form body (else invalid_request); no single-valued parameter repeated
// (RFC 6749 §3.2); client authentication (RFC 6749 §2.3): at most one
// method, client_secret_basic (id and secret form-decoded after splitting
// at the first ':', RFC 6749 §2.3.1), client_secret_post, private_key_jwt
// (RFC 7523 §2.2, §3: signature by the registered key, iss = sub = client
// id, aud the token endpoint or the issuer, exp, a jti never seen before),
// or none for a public client; then the grant (unsupported_grant_type,
// unauthorized_client beyond OAuth2Client.Grants), the scope
// (invalid_scope beyond OAuth2Client.Scopes) and resource (RFC 8707,
// invalid_target). Errors are RFC 6749 §5.2 JSON: 400, or 401 with
// WWW-Authenticate: Basic for invalid_client when the client sent Basic
// auth. A faulted request and a refused one issue nothing.
//
// An access token is an RS256 JWT with iss, sub, aud (the audience and
// resource parameters, else the client id), scope, client_id, iat, exp and
// jti; a token-exchange token also has act (RFC 8693 §4.1) when an actor
// token was sent. Claims the request's claims parameter (OpenID Connect
// Core §5.5, as Entra ID's claims challenges send it) asks for under
// "access_token" with a value or values are copied into the token. Verify
// and Claims check a token as a resource server would.
//
// It does not emulate the authorization endpoint (no code, implicit or
// device grants), introspection, revocation, DPoP, mTLS client
// authentication, refresh-token reuse detection, or ID tokens.
//
// Set Issuer, Lifetime and Now before sending requests; the methods are safe
// for concurrent use, also while serving.
type OAuth2 struct {
	// URL is the base URL StartOAuth2 serves on ("http://127.0.0.1:<port>").
	// Empty for an OAuth2 from NewOAuth2.
	URL string
	// Issuer is the issuer identifier: the discovery documents' issuer and
	// the iss of every token. StartOAuth2 sets URL; if empty, each request's
	// own scheme and Host are used.
	Issuer string
	// Faults makes the token endpoint misbehave; it is applied before any
	// check.
	Faults Faults
	// DiscoveryFaults makes the discovery and JWKS endpoints misbehave.
	DiscoveryFaults Faults
	// Lifetime of issued access tokens. NewOAuth2 sets one hour.
	Lifetime time.Duration
	// Now is the emulator's clock for iat, exp, assertion checks and Verify;
	// nil means time.Now.
	Now func() time.Time

	signer      *signer
	server      loopback
	discoveries atomic.Int64

	mu       sync.Mutex // guards the fields below
	clients  map[string]OAuth2Client
	issuers  map[string]crypto.PublicKey // trusted assertion issuers (TrustIssuer)
	refresh  map[string]refreshGrant     // live refresh tokens
	seen     map[string]time.Time        // iss + "\x00" + jti of used assertions -> their exp
	requests []OAuth2Request
}

// OAuth2Client is a client registered with an OAuth2 emulator. What it may
// authenticate with follows from what is set: Secret allows
// client_secret_basic and client_secret_post; PublicKey (or Certificate)
// allows private_key_jwt; with neither it is a public client that sends only
// its client_id (token_endpoint_auth_method none).
type OAuth2Client struct {
	ID     string
	Secret string
	// PublicKey verifies the client's assertions: an *rsa.PublicKey (RS256,
	// RS384, RS512, PS256, PS384, PS512) or an *ecdsa.PublicKey (ES256,
	// ES384, ES512). The client id is then also a trusted issuer of
	// jwt-bearer grant assertions.
	PublicKey crypto.PublicKey
	// Certificate, if set, supplies PublicKey and makes the emulator
	// require the x5t#S256 header (base64url SHA-256 of the DER
	// certificate) on the client's assertions, as Entra ID requires a
	// certificate thumbprint and MSAL sends x5t#S256.
	Certificate *x509.Certificate
	// Scopes the client may ask for; nil allows any. A token request
	// without scope gets all of them.
	Scopes []string
	// Grants the client may use (the Grant constants); nil allows all.
	Grants []string
	// Federated lets the client authenticate with a token another
	// issuer signed, sent as its client_assertion with its client_id
	// (workload identity federation, as Entra ID's federated identity
	// credentials).
	Federated []FederatedCredential
}

// FederatedCredential admits, as a client's assertion, a JWT that Issuer
// (a TrustIssuer issuer) signed with sub Subject and aud Audience, as
// Entra ID's federated identity credentials do (for a Kubernetes service
// account: the cluster's issuer, system:serviceaccount:<ns>:<name>,
// api://AzureADTokenExchange). Such a token is read from a file and sent
// again until it expires, so, as on Entra ID, its jti is not refused when
// seen again.
type FederatedCredential struct {
	Issuer, Subject, Audience string
}

// OAuth2Request is what the token endpoint saw of one request that got past
// the faults and the form parsing, for tests that check what a client
// sent. It holds no secret, assertion or token.
type OAuth2Request struct {
	GrantType  string
	ClientID   string // the authenticated (or claimed, for none) client; "" for none
	AuthMethod string // client_secret_basic, client_secret_post, private_key_jwt, none, or ""
	Scope      string
	Audience   []string
	Resource   []string
	Claims     string // the claims parameter as sent
	Error      string // the RFC 6749 §5.2 error code it was refused with; "" if a token was issued
}

// refreshGrant is what a live refresh token stands for.
type refreshGrant struct {
	clientID, subject, scope string
}

// NewOAuth2 returns an OAuth2 emulator with its own RSA signing key, a one
// hour token lifetime and no clients.
func NewOAuth2() *OAuth2 {
	return &OAuth2{
		Lifetime: oauth2DefaultLifetime,
		signer:   newSigner(""),
		clients:  map[string]OAuth2Client{},
		issuers:  map[string]crypto.PublicKey{},
		refresh:  map[string]refreshGrant{},
		seen:     map[string]time.Time{},
	}
}

// StartOAuth2 returns an OAuth2 emulator, as NewOAuth2 makes it, already
// serving on a fresh port of 127.0.0.1, with URL and Issuer set to its base
// URL. Call Close when done.
func StartOAuth2() *OAuth2 {
	e := NewOAuth2()
	e.URL = e.server.start(e)
	e.Issuer = e.URL
	return e
}

// Close stops the server StartOAuth2 started and waits for requests in
// flight. It does nothing for an OAuth2 from NewOAuth2.
func (e *OAuth2) Close() { e.server.close() }

// TokenURL returns the token endpoint: Issuer + "/token".
func (e *OAuth2) TokenURL() string { return e.Issuer + "/token" }

// AddClient registers c, replacing a client with the same ID. It fails if
// the ID is empty, the key is neither RSA nor ECDSA, or PublicKey and
// Certificate disagree.
func (e *OAuth2) AddClient(c OAuth2Client) error {
	if c.ID == "" {
		return errors.New("emulator/oauth2: client without ID")
	}
	if c.Certificate != nil {
		if c.PublicKey != nil && !samePublicKey(c.PublicKey, c.Certificate.PublicKey) {
			return errors.New("emulator/oauth2: PublicKey is not the Certificate's key")
		}
		c.PublicKey = c.Certificate.PublicKey
	}
	if err := checkPublicKey(c.PublicKey); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clients[c.ID] = c
	return nil
}

// TrustIssuer makes the emulator accept JWTs that iss signs with key as
// jwt-bearer grant assertions (RFC 7523 §3) and as token-exchange subject
// and actor tokens (RFC 8693), as a server trusts a federated identity
// provider (a Kubernetes service-account issuer, a CI's OIDC issuer).
func (e *OAuth2) TrustIssuer(iss string, key crypto.PublicKey) error {
	if iss == "" || key == nil {
		return errors.New("emulator/oauth2: TrustIssuer needs an issuer and a key")
	}
	if err := checkPublicKey(key); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.issuers[iss] = key
	return nil
}

func checkPublicKey(k crypto.PublicKey) error {
	switch k.(type) {
	case nil, *rsa.PublicKey, *ecdsa.PublicKey:
		return nil
	}
	return fmt.Errorf("emulator/oauth2: unsupported public key type %T (want RSA or ECDSA)", k)
}

func samePublicKey(a, b crypto.PublicKey) bool {
	ak, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ak.Equal(b)
}

// client returns the registered client id.
func (e *OAuth2) client(id string) (OAuth2Client, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.clients[id]
	return c, ok
}

// Issued returns how many access tokens the emulator has issued (by the
// token endpoint or IssueToken). Refused and faulted requests do not count.
func (e *OAuth2) Issued() int64 { return e.signer.issued.Load() }

// Discoveries returns how many discovery documents the emulator has served,
// for tests that check a client caches them.
func (e *OAuth2) Discoveries() int64 { return e.discoveries.Load() }

// Requests returns what the token endpoint saw of each request so far, in
// order.
func (e *OAuth2) Requests() []OAuth2Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]OAuth2Request(nil), e.requests...)
}

func (e *OAuth2) record(r OAuth2Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests = append(e.requests, r)
}

// ServeHTTP routes a request to discovery, the JWKS or the token endpoint.
func (e *OAuth2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	iss := e.issuer(r)
	p := r.URL.Path
	switch {
	case p == wellKnownPath(iss, "oauth-authorization-server", true),
		p == wellKnownPath(iss, "openid-configuration", false):
		e.serveDiscovery(w, r, iss)
	case strings.HasSuffix(p, "/jwks"):
		e.serveJWKS(w, r)
	case strings.HasSuffix(p, "/token"):
		e.serveToken(w, r, iss)
	default:
		http.NotFound(w, r)
	}
}

// issuer is Issuer, or the request's own origin when it is empty.
func (e *OAuth2) issuer(r *http.Request) string {
	if e.Issuer != "" {
		return e.Issuer
	}
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}
