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
	ErrSymphonyUnknownKey = errors.New("unknown public key name")
	ErrSymphonyReplayed   = errors.New("jti already used")
	ErrSymphonyLifetime   = errors.New("exp is more than 30 minutes after iat")
)

// Symphony verifies Symphony Connect customer tokens as the vendor does
// (Symphony's Connect authentication page): a JWT signed RS512 with the
// customer's private key, sub "ces:customer:<public key name>" naming a
// registered public key, iat and exp present, exp at most 30 minutes after
// iat, not expired, and a jti.
//
// Symphony's documentation does not say a Connect JWT is single-use, so by
// default a token verifies as often as it is presented until it expires,
// and clients may cache it. Set RefuseReplay to refuse a jti seen before
// (within its token's lifetime), to test a client that must not reuse
// tokens.
//
// As an http.Handler it serves any path: a request with a valid
// "Authorization: Bearer <token>" gets 200 and a JSON object; any other gets
// 401 with a JSON reason.
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
// Its errors wrap ErrSymphonyUnknownKey, ErrSymphonyReplayed or
// ErrSymphonyLifetime where they apply.
func (s *Symphony) Verify(token string) error {
	var c jwt.RegisteredClaims
	_, err := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS512.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(symphonyLeeway),
		jwt.WithTimeFunc(s.now),
	).ParseWithClaims(token, &c, s.keyFor)
	if err != nil {
		return fmt.Errorf("emulator/symphony: %w", err)
	}
	switch {
	case c.IssuedAt == nil:
		return errors.New("emulator/symphony: token has no iat")
	case c.ExpiresAt.Sub(c.IssuedAt.Time) > SymphonyMaxLifetime:
		return fmt.Errorf("emulator/symphony: %w", ErrSymphonyLifetime)
	case c.ID == "":
		return errors.New("emulator/symphony: token has no jti")
	}
	if !s.RefuseReplay {
		return nil
	}
	return s.remember(c.ID, c.ExpiresAt.Time)
}

// keyFor finds the public key named by the token's sub.
func (s *Symphony) keyFor(t *jwt.Token) (any, error) {
	sub, err := t.Claims.GetSubject()
	if err != nil {
		return nil, err
	}
	name, ok := strings.CutPrefix(sub, SymphonySubjectPrefix)
	if !ok {
		return nil, fmt.Errorf("sub %q does not start with %q", sub, SymphonySubjectPrefix)
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
		return fmt.Errorf("emulator/symphony: %w", ErrSymphonyReplayed)
	}
	if len(s.seen) >= symphonyMaxSeen {
		return errors.New("emulator/symphony: replay cache full; try again later")
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

// ServeHTTP applies any fault, then requires a valid bearer token.
func (s *Symphony) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.Faults.apply(w, r) {
		return
	}
	tok := bearerToken(r)
	if tok == "" {
		vgWriteError(w, http.StatusUnauthorized, "missing bearer token")
		return
	}
	if err := s.Verify(tok); err != nil {
		vgWriteError(w, http.StatusUnauthorized, err.Error())
		return
	}
	s.accepted.Add(1)
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
