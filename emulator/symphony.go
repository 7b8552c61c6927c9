package emulator

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Symphony Connect's rules for customer-signed tokens.
const (
	// SymphonyMaxLifetime: the vendor refuses a token whose exp is more than
	// 30 minutes after its iat.
	SymphonyMaxLifetime = 30 * time.Minute
	// SymphonySubjectPrefix precedes the public key's name in sub.
	SymphonySubjectPrefix = "ces:customer:"
)

// symphonyLeeway absorbs clock skew between the customer's machine and the
// vendor's when checking iat and exp.
const symphonyLeeway = 30 * time.Second

// symphonyMaxSeen bounds the replay cache (used with RefuseReplay). Entries leave it when their token
// expires, so at 30-minute lifetimes it holds ~36 new tokens a second for
// ever; past it Verify fails closed rather than forget a jti.
const symphonyMaxSeen = 1 << 16

// Errors Verify returns (wrapped), for callers that branch on them.
var (
	ErrSymphonyUnknownKey error = &symRefusal{"UNKNOWN_PUBLIC_KEY", "unknown public key name"}
	ErrSymphonyReplayed   error = &symRefusal{"TOKEN_ALREADY_USED", "jti already used"}
	ErrSymphonyLifetime   error = &symRefusal{"TOKEN_LIFETIME_TOO_LONG", "exp is more than 30 minutes after iat"}
)

// The other refusals: one for each rule, then the emulator's own.
var (
	errSymMalformed = &symRefusal{"MALFORMED_TOKEN", "the bearer token is not a well-formed JWT"}
	errSymAlgorithm = &symRefusal{"INVALID_ALGORITHM", "the token must be signed with RS512"}
	errSymSubject   = &symRefusal{"INVALID_SUBJECT", "sub must be " + SymphonySubjectPrefix + "<public key name>"}
	errSymSignature = &symRefusal{"INVALID_SIGNATURE", "the signature does not verify with the registered public key"}
	errSymNoExp     = &symRefusal{"MISSING_CLAIM", "the token has no exp"}
	errSymExpired   = &symRefusal{"TOKEN_EXPIRED", "the token has expired"}
	errSymIssuedAt  = &symRefusal{"TOKEN_ISSUED_IN_THE_FUTURE", "iat is in the future"}
	errSymNoIat     = &symRefusal{"MISSING_CLAIM", "the token has no iat"}
	errSymNoJTI     = &symRefusal{"MISSING_CLAIM", "the token has no jti"}
	errSymFull      = &symRefusal{"REPLAY_CACHE_FULL", "replay cache full; try again later"}
	errSymNoToken   = &symRefusal{"MISSING_TOKEN", "missing bearer token"}
)

// symRefusal is one reason Symphony Connect refuses a token: the code and
// message of the 401 answer, shaped as Connect's ApiError ({"code",
// "message"}, Symphony's Community Connect API specification). The codes
// are the emulator's own: Symphony does not publish its codes for these
// refusals.
type symRefusal struct{ code, message string }

func (r *symRefusal) Error() string { return r.message }

// Symphony verifies Symphony Connect customer tokens as the vendor does
// (Symphony's Connect authentication page): a JWT signed RS512 with the
// customer's private key (alg RS512 only: none, HS* and RS256 are
// refused), sub "ces:customer:<public key name>" naming a registered public
// key, iat and exp present, iat not in the future and exp not past (with
// 30 seconds' leeway for clock skew), exp at most 30 minutes after iat,
// and a jti.
//
// Symphony's documentation does not say a Connect JWT is single-use, so by
// default a token verifies as often as it is presented until it expires,
// and clients may cache it. Set RefuseReplay to refuse a jti seen before
// (within its token's lifetime), to test a client that must not reuse
// tokens.
//
// As an http.Handler it serves any path: a request with a valid
// "Authorization: Bearer <token>" gets 200 and a JSON object; any other gets
// 401 with a JSON body shaped as Connect's ApiError, {"code": ...,
// "message": ...}, a code for each rule (MALFORMED_TOKEN,
// INVALID_ALGORITHM, INVALID_SUBJECT, UNKNOWN_PUBLIC_KEY,
// INVALID_SIGNATURE, MISSING_CLAIM, TOKEN_EXPIRED,
// TOKEN_ISSUED_IN_THE_FUTURE, TOKEN_LIFETIME_TOO_LONG, and with
// RefuseReplay TOKEN_ALREADY_USED; MISSING_TOKEN without a bearer token).
// The codes are the emulator's own; Symphony does not publish its codes.
//
// It does not emulate Symphony's APIs behind the check, nor key rotation
// beyond Register replacing a key.
//
// Set Now and RefuseReplay before use; the methods are safe for concurrent use, also while
// serving.
type Symphony struct {
	// URL is the base URL StartSymphony serves on
	// ("http://127.0.0.1:<port>"; any path answers). Empty for a Symphony
	// from NewSymphony.
	URL string
	// Faults is applied first to every request.
	Faults Faults
	// Now is the verifier's clock; nil means time.Now.
	Now func() time.Time
	// RefuseReplay makes Verify refuse a jti it has accepted before, until
	// that token expires. Off by default, as on the real service.
	RefuseReplay bool

	accepted atomic.Int64
	server   loopback

	mu        sync.Mutex                // guards the fields below
	keys      map[string]*rsa.PublicKey // by public key name
	seen      map[string]time.Time      // jti -> exp of the token that used it
	nextPrune time.Time                 // earliest exp in seen
}

// NewSymphony returns a verifier with no registered keys.
func NewSymphony() *Symphony {
	return &Symphony{keys: map[string]*rsa.PublicKey{}, seen: map[string]time.Time{}}
}

// StartSymphony returns a verifier, as NewSymphony makes it, already serving
// on a fresh port of 127.0.0.1 at its URL. Call Close when done.
func StartSymphony() *Symphony {
	s := NewSymphony()
	s.URL = s.server.start(s)
	return s
}

// Close stops the server StartSymphony started and waits for requests in
// flight. It does nothing for a Symphony from NewSymphony.
func (s *Symphony) Close() { s.server.close() }

// Register makes pub the public key for tokens whose sub is
// "ces:customer:<name>", replacing any key of that name.
func (s *Symphony) Register(name string, pub *rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[name] = pub
}

// Accepted returns how many requests the handler has let through (not how
// many tokens Verify accepted when called directly).
func (s *Symphony) Accepted() int64 { return s.accepted.Load() }

func (s *Symphony) now() time.Time { return clock(s.Now) }

// Verify checks token against every rule. With RefuseReplay it also
// records the jti, so the same token verifies once. It neither applies Faults nor counts in Accepted.
// Each rule has its own error; they wrap ErrSymphonyUnknownKey,
// ErrSymphonyReplayed or ErrSymphonyLifetime where those apply.
func (s *Symphony) Verify(token string) error {
	c, err := s.check(token)
	if err == nil && s.RefuseReplay {
		err = s.remember(c.ID, c.ExpiresAt.Time)
	}
	if err != nil {
		return fmt.Errorf("emulator/symphony: %w", err)
	}
	return nil
}

// check applies Connect's rules in order: a JWT, signed RS512, sub naming
// a registered key, a signature that key verifies, exp present and not
// past, iat present and not ahead (both with symphonyLeeway), exp at most
// SymphonyMaxLifetime after iat, a jti.
func (s *Symphony) check(token string) (*jwt.RegisteredClaims, error) {
	var c jwt.RegisteredClaims
	unverified, _, err := jwt.NewParser().ParseUnverified(token, &c)
	switch {
	case errors.Is(err, jwt.ErrTokenUnverifiable): // alg missing or unknown
		return nil, errSymAlgorithm
	case err != nil:
		return nil, errSymMalformed
	case unverified.Method.Alg() != jwt.SigningMethodRS512.Alg():
		return nil, fmt.Errorf("%w, not %s", errSymAlgorithm, unverified.Method.Alg())
	}
	key, err := s.keyFor(c.Subject)
	if err != nil {
		return nil, err
	}
	c = jwt.RegisteredClaims{}
	_, err = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS512.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(symphonyLeeway),
		jwt.WithTimeFunc(s.now),
	).ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return key, nil })
	switch {
	case err != nil:
		return nil, symParseRefusal(err)
	case c.IssuedAt == nil:
		return nil, errSymNoIat
	case c.ExpiresAt.Sub(c.IssuedAt.Time) > SymphonyMaxLifetime:
		return nil, ErrSymphonyLifetime
	case c.ID == "":
		return nil, errSymNoJTI
	}
	return &c, nil
}

// symParseRefusal is the refusal for an error of the verifying parse.
func symParseRefusal(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return errSymSignature
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return errSymNoExp
	case errors.Is(err, jwt.ErrTokenExpired):
		return errSymExpired
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return errSymIssuedAt
	}
	return errSymMalformed
}

// keyFor finds the public key named by sub.
func (s *Symphony) keyFor(sub string) (*rsa.PublicKey, error) {
	name, ok := strings.CutPrefix(sub, SymphonySubjectPrefix)
	if !ok || name == "" {
		return nil, fmt.Errorf("%w, got %q", errSymSubject, sub)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[name]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w %q", ErrSymphonyUnknownKey, name)
}

// remember records jti until exp, refusing one already recorded.
func (s *Symphony) remember(jti string, exp time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune()
	if _, dup := s.seen[jti]; dup {
		return ErrSymphonyReplayed
	}
	if len(s.seen) >= symphonyMaxSeen {
		return errSymFull
	}
	// Keep the jti for the leeway too: Verify accepts the token that long.
	until := exp.Add(symphonyLeeway)
	s.seen[jti] = until
	if s.nextPrune.IsZero() || until.Before(s.nextPrune) {
		s.nextPrune = until
	}
	return nil
}

// prune drops the jtis of expired tokens; they can no longer be replayed.
// It walks the map only once the earliest entry has expired. s.mu is held.
func (s *Symphony) prune() {
	now := s.now()
	if s.nextPrune.IsZero() || now.Before(s.nextPrune) {
		return
	}
	s.nextPrune = time.Time{}
	for jti, until := range s.seen {
		switch {
		case !now.Before(until):
			delete(s.seen, jti)
		case s.nextPrune.IsZero() || until.Before(s.nextPrune):
			s.nextPrune = until
		}
	}
}

// ServeHTTP applies any fault, then requires a valid bearer token. A
// refusal is a 401 whose JSON body, {"code": ..., "message": ...}, names
// the rule the token broke.
func (s *Symphony) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.Faults.apply(w, r) {
		return
	}
	err := error(errSymNoToken)
	if tok := bearerToken(r); tok != "" {
		err = s.Verify(tok)
	}
	if err != nil {
		refusal := &symRefusal{code: "INVALID_TOKEN"} // if ever an error is no refusal
		errors.As(err, &refusal)
		writeJSON(w, http.StatusUnauthorized, map[string]string{
			"code": refusal.code, "message": strings.TrimPrefix(err.Error(), "emulator/symphony: "),
		})
		return
	}
	s.accepted.Add(1)
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
