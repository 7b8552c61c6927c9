// Package sourcetest has token sources for the transport, grpccreds and
// benchmark tests: in-process ones (Static, Published, Rotating), host sources
// registered from a plugin binary, and the nil sources that transport.New
// and grpccreds.New must refuse without panicking.
package sourcetest

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/hostmatch"
)

// Unknown returns what Registry.Source returns for a provider that was
// never registered: a nil *host.Source, beside an error. It fails the
// test if Source returns anything else.
func Unknown(t testing.TB) *host.Source {
	t.Helper()
	reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)))
	defer reg.Close()
	src, err := reg.Source("missing")
	if err == nil || src != nil {
		t.Fatalf("Source(missing) = %v, %v", src, err)
	}
	return src
}

// OAuth2 is an oauth2.TokenSource whose nil pointer panics if used:
// (*OAuth2)(nil) stands for a caller's nil oauth2 source.
type OAuth2 struct{ tok *oauth2.Token }

// Token returns the token it holds; on a nil *OAuth2 it panics.
func (s *OAuth2) Token() (*oauth2.Token, error) { return s.tok, nil }

// Register registers name with cfg in reg and returns its source,
// failing the test on any error.
func Register(t testing.TB, reg *host.Registry, name string, cfg host.ProviderConfig) *host.Source {
	t.Helper()
	if err := reg.Register(name, cfg); err != nil {
		t.Fatal(err)
	}
	src, err := reg.Source(name)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// Static is a source that returns its token, unchanged, on every call and
// cannot invalidate: the cheapest source, for measuring a sender alone
// and for tokens a test builds by hand (nil or empty ones included).
type Static struct{ Tok *oauth2.Token }

// Token returns s.Tok.
func (s Static) Token(context.Context) (*oauth2.Token, error) { return s.Tok, nil }

// Published is a Static source whose provider's scope is published once,
// as a described host.Source publishes its own: HostScope is an atomic
// load and allocates nothing.
type Published struct {
	Static
	scope atomic.Pointer[hostmatch.Scope]
}

// NewPublished returns a source of tok whose provider's scope is sc.
func NewPublished(tok *oauth2.Token, sc *hostmatch.Scope) *Published {
	s := &Published{Static: Static{Tok: tok}}
	s.scope.Store(sc)
	return s
}

// HostScope returns the published scope.
func (s *Published) HostScope(context.Context) (*hostmatch.Scope, error) { return s.scope.Load(), nil }

// Rotating is an in-process provider that behaves like a host.Source: it
// mints "<Prefix><n>" on its n-th fetch and hands that token out until
// Invalidate drops it (only while it is still the current one). It
// records what it was asked. The zero value is a provider named "watson"
// minting tok-1, tok-2, ...; set the fields before the source is used.
type Rotating struct {
	Provider string // what Name returns; "" is "watson"
	Prefix   string // the tokens' prefix; "" is "tok-"
	Header   string // if set, tokens go in this header (tokenplug.WithHeader)

	calls       atomic.Int64
	mu          sync.Mutex // guards the fields below
	err         error      // if set, Token fails with it
	fetches     int
	cur         *oauth2.Token
	invalidated []string
}

// Name returns the provider's name.
func (s *Rotating) Name() string { return cmp.Or(s.Provider, "watson") }

// Token returns the current token, minting one if there is none; it fails
// with ctx's error once ctx is done, and with the error given to Fail.
func (s *Rotating) Token(ctx context.Context) (*oauth2.Token, error) {
	s.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		s.fetches++
		return nil, s.err
	}
	if s.cur == nil {
		s.fetches++
		tok := &oauth2.Token{AccessToken: fmt.Sprintf("%s%d", cmp.Or(s.Prefix, "tok-"), s.fetches), TokenType: "Bearer"}
		if s.Header != "" {
			tok = tokenplug.WithHeader(tok, s.Header)
		}
		s.cur = tok
	}
	return s.cur, nil
}

// Invalidate records rejected and drops the current token if it is the
// one rejected.
func (s *Rotating) Invalidate(rejected *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalidated = append(s.invalidated, rejected.AccessToken)
	if s.cur != nil && s.cur.AccessToken == rejected.AccessToken {
		s.cur = nil
	}
}

// Fail makes every later fetch fail with err, as a provider whose
// upstream refuses it; a nil err makes fetches succeed again.
func (s *Rotating) Fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// Calls returns how many times Token was called.
func (s *Rotating) Calls() int64 { return s.calls.Load() }

// Fetches returns how many times Token minted a token or failed with the
// error given to Fail.
func (s *Rotating) Fetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// Invalidated returns the access tokens passed to Invalidate, in order.
func (s *Rotating) Invalidated() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.invalidated...)
}
