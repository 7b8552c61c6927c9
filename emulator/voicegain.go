package emulator

import (
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The default account every Voicegain emulator serves. Voicegain's JWTs
// reference an account and a context so that API calls need neither in the
// request; the emulator puts these in every JWT it issues and echoes them
// from the protected endpoint.
const (
	VoicegainAccountID = "emu-account-0001"
	VoicegainContextID = "emu-context-0001"
)

// VoicegainMaxLifetime is the longest short-lived JWT the emulator issues:
// Voicegain's GET /security/jwt takes expInSec from 1 to 3600
// (voicegain/python-sdk security_api.py), and so does the emulator; above
// it is a 400.
const VoicegainMaxLifetime = time.Hour

// VoicegainMaxAudience is the longest aud Voicegain accepts, in characters
// (voicegain/python-sdk security_api.py).
const VoicegainMaxAudience = 128

// Kinds of JWT the emulator issues, in the vgKind claim.
const (
	vgKindConsole = "console"
	vgKindShort   = "short_lived"
)

// Voicegain emulates the Voicegain web API's JWT scheme, mounted so that a
// client's api_url is the server's URL + "/v1":
//
//   - GET /v1/security/jwt?aud=<host>&expInSec=<n>, authorised by a valid
//     console JWT, issues a short-lived JWT for browsers whose Origin
//     matches aud. aud is a host name, *.domain or *, optionally with a
//     port (Voicegain's own example uses localhost:8088), at most 128
//     characters; expInSec is 1 to 3600 (voicegain/python-sdk
//     security_api.py). It answers the bare JWT as text/plain, as the
//     vendor does, or as a JSON string when JSON is set. text/plain is
//     the only type Voicegain's API declares for it, so a request whose
//     Accept header does not admit text/plain gets 406 Not Acceptable
//     (once its console JWT is checked), as a server that negotiates
//     content answers; no Accept header admits anything.
//   - /v1/asr/... (e.g. POST /v1/asr/transcribe) is a protected endpoint. It
//     accepts a valid console JWT, or an unexpired short-lived JWT. The
//     short-lived JWT's aud is checked only when the request has an Origin
//     header, as on the real service (a request without one, from a
//     server, is not refused for its origin); then the Origin must match.
//     It answers a small JSON object.
//
// As on the real service, a console JWT does not expire, and since
// Voicegain release 1.91.0 a context may have several valid console JWTs
// at once: AddConsoleJWT issues another, RevokeConsoleJWT deletes one and
// RegenerateConsoleJWT replaces the current one. Short-lived JWTs already
// issued stay valid until their exp.
//
// It does not emulate speech recognition (the /v1/asr/ endpoint only
// checks the caller) or Voicegain's other APIs.
//
// Set JSON and Now before sending requests; the methods are safe for
// concurrent use, also while serving.
type Voicegain struct {
	// URL is the base URL StartVoicegain serves on
	// ("http://127.0.0.1:<port>"); a client's api_url is URL + "/v1".
	// Empty for a Voicegain from NewVoicegain.
	URL string
	// Faults is applied first to every request.
	Faults Faults
	// JSON makes /security/jwt answer the JWT as a JSON string
	// (application/json) instead of the vendor's text/plain, for testing a
	// client against both forms. It does not change the Accept check,
	// which is the vendor's: a client that asks for text/plain gets the
	// JSON form too, as from a proxy that re-encodes the answer.
	JSON bool
	// Now is the emulator's clock; nil means time.Now.
	Now func() time.Time

	key    *rsa.PrivateKey
	mux    *http.ServeMux
	issued atomic.Int64
	server loopback

	mu       sync.Mutex      // guards console and consoles
	console  string          // the current console JWT, as ConsoleJWT returns it
	consoles map[string]bool // every valid console JWT, console included
}

// NewVoicegain returns an emulator with a fresh signing key and a console
// JWT for the default account.
func NewVoicegain() *Voicegain {
	v := &Voicegain{key: newRSAKey()}
	v.console = v.signConsole()
	v.consoles = map[string]bool{v.console: true}
	v.mux = http.NewServeMux()
	v.mux.HandleFunc("GET /v1/security/jwt", v.serveJWT)
	v.mux.HandleFunc("/v1/asr/", v.serveASR)
	return v
}

// StartVoicegain returns an emulator, as NewVoicegain makes it, already
// serving on a fresh port of 127.0.0.1 at its URL. Call Close when done.
func StartVoicegain() *Voicegain {
	v := NewVoicegain()
	v.URL = v.server.start(v)
	return v
}

// Close stops the server StartVoicegain started and waits for requests in
// flight. It does nothing for a Voicegain from NewVoicegain.
func (v *Voicegain) Close() { v.server.close() }

// ServeHTTP applies any fault, then routes the request.
func (v *Voicegain) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if v.Faults.apply(w, r) {
		return
	}
	v.mux.ServeHTTP(w, r)
}

// PublicKey returns the key that verifies every JWT the emulator issues.
func (v *Voicegain) PublicKey() *rsa.PublicKey { return &v.key.PublicKey }

// Issued returns how many short-lived JWTs the emulator has issued.
func (v *Voicegain) Issued() int64 { return v.issued.Load() }

// ConsoleJWT returns the current console JWT: the secret a user copies from
// the Voicegain console. It has no exp.
func (v *Voicegain) ConsoleJWT() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.console
}

// RegenerateConsoleJWT replaces the current console JWT with a new one and
// returns it, as when a user presses Regenerate on it in the console: the
// replaced one is rejected with 401 from then on. Console JWTs added with
// AddConsoleJWT stay valid.
func (v *Voicegain) RegenerateConsoleJWT() string {
	tok := v.signConsole()
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.consoles, v.console)
	v.console = tok
	v.consoles[tok] = true
	return tok
}

// AddConsoleJWT issues another console JWT for the same context and returns
// it; every console JWT already issued stays valid, as Voicegain allows
// since release 1.91.0. ConsoleJWT still returns the current one.
func (v *Voicegain) AddConsoleJWT() string {
	tok := v.signConsole()
	v.mu.Lock()
	defer v.mu.Unlock()
	v.consoles[tok] = true
	return tok
}

// RevokeConsoleJWT deletes tok, as a user deletes a JWT in the console: it
// is rejected with 401 from then on. It reports whether tok was valid.
// Revoking the current console JWT leaves ConsoleJWT returning it, revoked.
func (v *Voicegain) RevokeConsoleJWT(tok string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	ok := v.consoles[tok]
	delete(v.consoles, tok)
	return ok
}

// voicegainClaims are the claims of both kinds of JWT.
type voicegainClaims struct {
	AccountID string `json:"accountId"`
	ContextID string `json:"contextId"`
	Kind      string `json:"vgKind"`
	jwt.RegisteredClaims
}

func (v *Voicegain) now() time.Time { return clock(v.Now) }

func (v *Voicegain) signConsole() string {
	return v.sign(voicegainClaims{
		Kind: vgKindConsole,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:  "webconfig-" + randomID(8),
			ID:       randomID(16), // makes every regenerated JWT differ
			IssuedAt: jwt.NewNumericDate(v.now()),
		},
	})
}

func (v *Voicegain) sign(c voicegainClaims) string {
	c.AccountID, c.ContextID, c.Issuer = VoicegainAccountID, VoicegainContextID, "voicegain-emulator"
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, c).SignedString(v.key)
	if err != nil {
		panic("emulator: sign jwt: " + err.Error()) // only a broken key fails
	}
	return s
}

// serveJWT issues a short-lived JWT.
func (v *Voicegain) serveJWT(w http.ResponseWriter, r *http.Request) {
	if !v.isConsole(bearerToken(r)) {
		vgWriteError(w, http.StatusUnauthorized, "invalid or revoked console jwt")
		return
	}
	if !accepts(r.Header, "text/plain") {
		vgWriteError(w, http.StatusNotAcceptable, "the answer is text/plain, which the Accept header does not admit")
		return
	}
	q := r.URL.Query()
	aud := strings.ToLower(q.Get("aud"))
	if !vgValidAudience(aud) {
		vgWriteError(w, http.StatusBadRequest, fmt.Sprintf("aud must be a host, *.domain or *, optionally with a port, at most %d characters", VoicegainMaxAudience))
		return
	}
	secs, err := strconv.ParseInt(q.Get("expInSec"), 10, 64)
	if err != nil || secs <= 0 || secs > int64(VoicegainMaxLifetime/time.Second) {
		vgWriteError(w, http.StatusBadRequest, fmt.Sprintf("expInSec must be an integer in [1, %d]", int64(VoicegainMaxLifetime/time.Second)))
		return
	}
	now := v.now()
	tok := v.sign(voicegainClaims{
		Kind: vgKindShort,
		RegisteredClaims: jwt.RegisteredClaims{
			Audience:  jwt.ClaimStrings{aud},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Duration(secs) * time.Second)),
			ID:        randomID(16),
		},
	})
	v.issued.Add(1)
	if v.JSON {
		writeJSON(w, http.StatusOK, tok)
		return
	}
	// The vendor's answer: the bare JWT as text/plain.
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(tok))
}

// serveASR is the protected endpoint.
func (v *Voicegain) serveASR(w http.ResponseWriter, r *http.Request) {
	tok := bearerToken(r)
	if v.isConsole(tok) {
		writeJSON(w, http.StatusOK, vgASRReply(vgKindConsole, ""))
		return
	}
	c, err := v.parseShortLived(tok)
	if err != nil {
		vgWriteError(w, http.StatusUnauthorized, err.Error())
		return
	}
	aud := c.Audience[0]
	origin, sent := r.Header["Origin"]
	if sent && !vgOriginAllowed(aud, strings.Join(origin, ",")) {
		vgWriteError(w, http.StatusForbidden, fmt.Sprintf("origin %q is not allowed by the token's audience %q", origin, aud))
		return
	}
	writeJSON(w, http.StatusOK, vgASRReply(vgKindShort, aud))
}

func vgASRReply(kind, aud string) map[string]string {
	m := map[string]string{"status": "ok", "accountId": VoicegainAccountID, "contextId": VoicegainContextID, "auth": kind}
	if aud != "" {
		m["aud"] = aud
	}
	return m
}

// isConsole reports whether tok is a valid console JWT. Comparing the
// whole string (in constant time) is how revocation works: a revoked
// console JWT is validly signed but no longer valid.
func (v *Voicegain) isConsole(tok string) bool {
	if tok == "" {
		return false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	found := 0
	for c := range v.consoles {
		found |= subtle.ConstantTimeCompare([]byte(tok), []byte(c))
	}
	return found == 1
}

func (v *Voicegain) parseShortLived(tok string) (*voicegainClaims, error) {
	if tok == "" {
		return nil, errors.New("missing bearer token")
	}
	var c voicegainClaims
	_, err := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(v.now),
	).ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return &v.key.PublicKey, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, errors.New("short-lived jwt expired")
	case err != nil:
		return nil, errors.New("invalid or revoked jwt")
	case c.Kind != vgKindShort || len(c.Audience) != 1:
		return nil, errors.New("invalid or revoked jwt")
	}
	return &c, nil
}

// vgWriteError writes the emulator's JSON error.
func vgWriteError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
