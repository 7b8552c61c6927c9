package emulator

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/oauth2"
)

// Source is a fake token provider for tests of code that sends tokenplug's
// tokens (transport.New, grpccreds.New) without running a plugin: it
// stands where an application passes the *host.Source of a registry. It
// mints "<name>-token-1", "<name>-token-2", ... and hands out its current
// token until a server rejects it (Invalidate), then mints the next, as a
// host.Source fetches a new token after a 401. It implements
// tokenplug.TokenSource and tokenplug.Invalidator. Safe for concurrent use.
type Source struct {
	name string

	mu     sync.Mutex // guards cur and minted
	cur    *oauth2.Token
	minted int
}

// NewSource returns a Source for the provider name.
func NewSource(name string) *Source { return &Source{name: name} }

// Name returns the provider's name.
func (s *Source) Name() string { return s.name }

// Token returns the current bearer token, minting one if there is none. It
// fails with ctx's error once ctx is done.
func (s *Source) Token(ctx context.Context) (*oauth2.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		s.minted++
		s.cur = &oauth2.Token{AccessToken: fmt.Sprintf("%s-token-%d", s.name, s.minted), TokenType: "Bearer"}
	}
	return s.cur, nil
}

// Invalidate drops the current token if it is the one rejected (compared
// by access token; nil drops whatever is current), so the next Token call
// mints a new one.
func (s *Source) Invalidate(rejected *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil && (rejected == nil || rejected.AccessToken == s.cur.AccessToken) {
		s.cur = nil
	}
}

// Minted returns how many tokens the source has minted.
func (s *Source) Minted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.minted
}
