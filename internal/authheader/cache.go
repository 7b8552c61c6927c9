// Package authheader caches the request header derived from a token, so
// that transport and grpccreds, which send the same cached token on every
// request, build its header once per token. The header rule itself is
// tokenplug.RequestHeader.
package authheader

import (
	"sync/atomic"

	"golang.org/x/oauth2"
)

// Cache remembers what was derived from the last token it saw (its header,
// say), so that a caller sending the same cached token on every request
// derives it once per token instead of allocating it per request. It is
// safe for concurrent use; the zero value is ready.
//
// A hit needs the same *oauth2.Token with the same AccessToken and
// TokenType: a source that rewrites a token in place still gets a fresh
// derivation. The token's extras (the header name) cannot change in place,
// since oauth2.Token.WithExtra returns a copy.
type Cache[T any] struct {
	last atomic.Pointer[cached[T]] // the most recent token and its value
}

type cached[T any] struct {
	tok    *oauth2.Token
	access string
	typ    string
	v      T
}

// Get returns derive(tok), reusing the last result if tok is the token it
// was derived from. derive must be a pure function of tok.
func (c *Cache[T]) Get(tok *oauth2.Token, derive func(*oauth2.Token) T) T {
	if e := c.last.Load(); e != nil && e.tok == tok && e.access == tok.AccessToken && e.typ == tok.TokenType {
		return e.v
	}
	e := &cached[T]{tok: tok, access: tok.AccessToken, typ: tok.TokenType, v: derive(tok)}
	c.last.Store(e)
	return e.v
}
