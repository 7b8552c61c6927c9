package transport

import (
	"context"

	"golang.org/x/oauth2"
)

// TokenSource supplies the tokens a Transport sends. *host.Source implements
// it, and [FromOAuth2] adapts any oauth2.TokenSource.
//
// Token is called once per authorized request (twice when a 401 is retried),
// from many goroutines at once, so an implementation must be safe for
// concurrent use and cheap when it holds a valid token: the Transport keeps
// no cache of its own. It must honour ctx, which is the request's context.
// The Transport does not modify the returned token.
type TokenSource interface {
	Token(ctx context.Context) (*oauth2.Token, error)
}

// Invalidator is optionally implemented by a TokenSource that can drop a
// token a server rejected, so that the next Token call fetches a fresh one.
// Invalidate must drop the token only if it is still the current one (compare
// AccessToken): many requests may be rejected with the same token, and a
// later Invalidate must not throw away the fresh token an earlier one caused.
// It must be safe for concurrent use and must not block on the network.
type Invalidator interface {
	Invalidate(rejected *oauth2.Token)
}

// contextTokenSource is plugin.ContextTokenSource, repeated here so that this
// package does not import the plugin SDK.
type contextTokenSource interface {
	TokenContext(ctx context.Context) (*oauth2.Token, error)
}

// FromOAuth2 adapts an oauth2.TokenSource to a TokenSource. When ts also has
// a TokenContext(ctx) method (plugin.ContextTokenSource) it is called with
// the request's context; otherwise Token is called after checking that the
// context is not already done, since oauth2.TokenSource cannot be
// interrupted. The adapter passes through Invalidate and Name when ts has
// them.
//
// Wrap ts in oauth2.ReuseTokenSource (or use a host.Source) if fetching a
// token is expensive: the Transport asks for a token on every request.
// FromOAuth2(nil), or of a nil pointer, returns nil, which New turns into a
// Transport that fails every request.
//
// The adapter does not pass on a HostScope method: give the Transport its
// hosts with WithHosts.
func FromOAuth2(ts oauth2.TokenSource) TokenSource {
	if isNil(ts) {
		return nil
	}
	s := oauth2Source{ts: ts}
	s.ctxTS, _ = ts.(contextTokenSource)
	if inv, ok := ts.(Invalidator); ok {
		return invalidatingSource{oauth2Source: s, inv: inv}
	}
	return s
}

type oauth2Source struct {
	ts    oauth2.TokenSource
	ctxTS contextTokenSource // ts, if it honours a context; else nil
}

func (s oauth2Source) Token(ctx context.Context) (*oauth2.Token, error) {
	if s.ctxTS != nil {
		return s.ctxTS.TokenContext(ctx)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.ts.Token()
}

// Name returns the wrapped source's name, or "" if it has none.
func (s oauth2Source) Name() string {
	if n, ok := s.ts.(namer); ok {
		return n.Name()
	}
	return ""
}

// invalidatingSource is an oauth2Source whose source can also invalidate. It
// is a separate type so that a Transport's type assertion for Invalidator is
// true only when invalidation really happens.
type invalidatingSource struct {
	oauth2Source
	inv Invalidator
}

func (s invalidatingSource) Invalidate(rejected *oauth2.Token) { s.inv.Invalidate(rejected) }

// namer is implemented by sources that know their provider's name
// (*host.Source does).
type namer interface{ Name() string }
