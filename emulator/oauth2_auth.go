package emulator

import (
	"cmp"
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// oauthError is an RFC 6749 §5.2 error answer.
type oauthError struct {
	status int
	code   string
	desc   string
	basic  bool // answer 401 with WWW-Authenticate: Basic (invalid_client after Basic auth)
}

func badRequest(code, desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: code, desc: desc}
}

// write answers the error. The description never echoes request values.
func (o *oauthError) write(w http.ResponseWriter) {
	status := o.status
	if o.basic {
		// RFC 6749 §5.2: a client that authenticated with the
		// Authorization header gets 401 and a challenge for its scheme.
		w.Header().Set("WWW-Authenticate", `Basic realm="emulator", charset="UTF-8"`)
		status = http.StatusUnauthorized
	}
	w.Header().Set("Cache-Control", "no-store")
	body := map[string]string{"error": o.code}
	if o.desc != "" {
		body["error_description"] = o.desc
	}
	writeJSON(w, status, body)
}

// clientAuth is the outcome of client authentication.
type clientAuth struct {
	client OAuth2Client // zero when no client identified itself
	method string       // "" when no client identified itself
}

var errClientAuth = "client authentication failed" // never says which part was wrong

// authenticate authenticates the client of a token request (RFC 6749
// §2.3): at most one method; Basic, post, private_key_jwt or none.
func (e *OAuth2) authenticate(r *http.Request, iss string) (clientAuth, *oauthError) {
	form := r.PostForm
	_, hasAuthz := r.Header["Authorization"]
	hasPost := form.Has("client_secret")
	hasJWT := form.Has("client_assertion") || form.Has("client_assertion_type")
	if n := btoi(hasAuthz) + btoi(hasPost) + btoi(hasJWT); n > 1 {
		return clientAuth{}, badRequest("invalid_request", "more than one client authentication method (RFC 6749 §2.3)")
	}
	switch {
	case hasAuthz:
		return e.authBasic(r)
	case hasJWT:
		return e.authJWT(form, iss, r)
	case hasPost:
		return e.authSecret(form.Get("client_id"), form.Get("client_secret"), "client_secret_post", false)
	case form.Get("client_id") != "":
		c, ok := e.client(form.Get("client_id"))
		if !ok || c.Secret != "" || c.PublicKey != nil || c.Federated != nil {
			return clientAuth{}, badRequest("invalid_client", errClientAuth)
		}
		return clientAuth{client: c, method: "none"}, nil
	}
	return clientAuth{}, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// authBasic checks client_secret_basic. RFC 6749 §2.3.1: the client id and
// secret are form-urlencoded before they are joined with ':' and base64
// encoded, so each is form-decoded after splitting at the first ':'.
func (e *OAuth2) authBasic(r *http.Request) (clientAuth, *oauthError) {
	fail := &oauthError{status: http.StatusUnauthorized, code: "invalid_client", desc: errClientAuth, basic: true}
	rawID, rawSecret, ok := r.BasicAuth()
	if !ok {
		return clientAuth{}, fail
	}
	id, err1 := url.QueryUnescape(rawID)
	secret, err2 := url.QueryUnescape(rawSecret)
	if err1 != nil || err2 != nil {
		return clientAuth{}, fail
	}
	if fid := r.PostForm.Get("client_id"); fid != "" && fid != id {
		return clientAuth{}, badRequest("invalid_request", "client_id differs from the authenticated client")
	}
	return e.authSecret(id, secret, "client_secret_basic", true)
}

func (e *OAuth2) authSecret(id, secret, method string, basic bool) (clientAuth, *oauthError) {
	c, ok := e.client(id)
	if !ok || c.Secret == "" || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return clientAuth{}, &oauthError{status: http.StatusBadRequest, code: "invalid_client", desc: errClientAuth, basic: basic}
	}
	return clientAuth{client: c, method: method}, nil
}

// authJWT checks private_key_jwt (RFC 7523 §2.2, §3): the assertion is
// signed by the client's key, iss and sub are its client id, aud names
// this server, it has not expired and its jti is new.
func (e *OAuth2) authJWT(form url.Values, iss string, r *http.Request) (clientAuth, *oauthError) {
	fail := badRequest("invalid_client", errClientAuth)
	if form.Get("client_assertion_type") != ClientAssertionType {
		return clientAuth{}, badRequest("invalid_client", "client_assertion_type must be "+ClientAssertionType)
	}
	raw := form.Get("client_assertion")
	sub := unverifiedSubject(raw)
	id := cmp.Or(form.Get("client_id"), sub)
	c, ok := e.client(id)
	switch {
	case !ok:
		return clientAuth{}, fail
	case id != sub:
		return e.authFederated(c, raw)
	case c.PublicKey == nil:
		return clientAuth{}, fail
	}
	claims, err := e.checkJWT(raw, c.PublicKey, c.Certificate, audiences(iss, r))
	if err != nil || claims["iss"] != c.ID {
		return clientAuth{}, fail
	}
	if err := e.spend(claims); err != nil {
		return clientAuth{}, fail
	}
	return clientAuth{client: c, method: "private_key_jwt"}, nil
}

// authFederated checks a client assertion against the client's federated
// credentials: signed by a trusted issuer, with the credential's sub and
// aud, unexpired.
func (e *OAuth2) authFederated(c OAuth2Client, raw string) (clientAuth, *oauthError) {
	iss, sub := unverifiedIssuer(raw), unverifiedSubject(raw)
	for _, fc := range c.Federated {
		if fc.Issuer != iss || fc.Subject != sub {
			continue
		}
		key, _ := e.trustedKey(iss)
		if key == nil {
			break
		}
		if _, err := e.checkJWT(raw, key, nil, []string{fc.Audience}); err == nil {
			return clientAuth{client: c, method: "private_key_jwt"}, nil
		}
	}
	return clientAuth{}, badRequest("invalid_client", errClientAuth)
}

// audiences are the aud values an assertion sent to this server may carry:
// the issuer, its token endpoint, and the URL the request was sent to.
func audiences(iss string, r *http.Request) []string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return []string{iss, iss + "/token", scheme + "://" + r.Host + r.URL.Path}
}

// unverifiedSubject returns the sub claim of a JWT without checking it,
// to find the key that must have signed it.
func unverifiedSubject(raw string) string { return unverifiedClaim(raw, "sub") }

// unverifiedIssuer returns the iss claim of a JWT without checking it.
func unverifiedIssuer(raw string) string { return unverifiedClaim(raw, "iss") }

func unverifiedClaim(raw, name string) string {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(raw, claims); err != nil {
		return ""
	}
	v, _ := claims[name].(string)
	return v
}

// checkJWT verifies a JWT's signature with key, that exp is present and not
// past, and, when auds is not empty, that aud holds one of auds. With cert,
// the header must carry the certificate's x5t#S256 thumbprint.
func (e *OAuth2) checkJWT(raw string, key crypto.PublicKey, cert *x509.Certificate, auds []string) (jwt.MapClaims, error) {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(assertionAlgs),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return clock(e.Now) }),
	}
	if len(auds) > 0 {
		opts = append(opts, jwt.WithAudience(auds...))
	}
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return key, nil }, opts...)
	if err != nil {
		return nil, err
	}
	if cert != nil && tok.Header["x5t#S256"] != X5TS256(cert) {
		return nil, errors.New("x5t#S256 header does not name the registered certificate")
	}
	return claims, nil
}

// X5TS256 returns the x5t#S256 JWT header value of cert (RFC 7515 §4.1.8):
// the base64url SHA-256 digest of its DER encoding.
func X5TS256(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// spend records an assertion's jti, refusing one seen before (RFC 7523 §3
// item 7 lets a server refuse a replayed jti; this one always does). A jti
// is remembered until its assertion expires.
func (e *OAuth2) spend(claims jwt.MapClaims) error {
	jti, _ := claims["jti"].(string)
	if jti == "" {
		return errors.New("no jti")
	}
	iss, _ := claims["iss"].(string)
	exp, _ := claims.GetExpirationTime()
	now := clock(e.Now)
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, t := range e.seen {
		if now.After(t) {
			delete(e.seen, k)
		}
	}
	key := iss + "\x00" + jti
	if _, used := e.seen[key]; used {
		return errors.New("jti replayed")
	}
	e.seen[key] = exp.Time
	return nil
}

// trustedKey returns the key that signs iss's assertions: a TrustIssuer
// key, or the public key of the client whose id is iss.
func (e *OAuth2) trustedKey(iss string) (crypto.PublicKey, *x509.Certificate) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if k, ok := e.issuers[iss]; ok {
		return k, nil
	}
	if c, ok := e.clients[iss]; ok && c.PublicKey != nil {
		return c.PublicKey, c.Certificate
	}
	return nil, nil
}
