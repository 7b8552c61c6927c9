package tokenplug

import (
	"context"
	"reflect"

	"golang.org/x/oauth2"
)

// TokenSource supplies the tokens that transport and grpccreds send.
// *host.Source implements it, and [FromOAuth2] adapts any
// oauth2.TokenSource.
//
// Token is called once per request or RPC (twice when a rejected token is
// retried), from many goroutines at once, so an implementation must be safe
// for concurrent use and cheap when it holds a valid token: the callers keep
// no cache of their own. It must honour ctx, which is the request's context.
// Callers do not modify the returned token.
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

// ContextTokenSource is an oauth2.TokenSource that can also honour a
// context. [FromOAuth2] and the plugin SDK call TokenContext when a source
// implements it, so that a caller's deadline or cancellation reaches the
// upstream request. It must be safe for concurrent use.
type ContextTokenSource interface {
	oauth2.TokenSource
	TokenContext(ctx context.Context) (*oauth2.Token, error)
}

// FromOAuth2 adapts an oauth2.TokenSource to a TokenSource. When ts is also
// a [ContextTokenSource] its TokenContext is called with the caller's
// context; otherwise Token is called after checking that the context is not
// already done, since oauth2.TokenSource cannot be interrupted. The adapter
// is an [Invalidator] exactly when ts is one, and has a Name method that
// returns ts's Name() ("" if it has none). It is as safe for concurrent use
// as ts.
//
// Wrap ts in oauth2.ReuseTokenSource if fetching a token is expensive: the
// adapter does not cache. FromOAuth2(nil), or of a nil pointer, returns nil,
// which transport.New and grpccreds.New turn into a sender that fails every
// request. The adapter does not pass on a HostScope method: give the
// transport its hosts with its WithHosts option.
func FromOAuth2(ts oauth2.TokenSource) TokenSource {
	if isNil(ts) {
		return nil
	}
	s := oauth2Source{ts: ts}
	s.ctxTS, _ = ts.(ContextTokenSource)
	if inv, ok := ts.(Invalidator); ok {
		return invalidatingSource{oauth2Source: s, inv: inv}
	}
	return s
}

type oauth2Source struct {
	ts    oauth2.TokenSource
	ctxTS ContextTokenSource // ts, if it honours a context; else nil
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
	if n, ok := s.ts.(interface{ Name() string }); ok {
		return n.Name()
	}
	return ""
}

// invalidatingSource is an oauth2Source whose source can also invalidate. It
// is a separate type so that a type assertion for Invalidator is true only
// when invalidation really happens.
type invalidatingSource struct {
	oauth2Source
	inv Invalidator
}

func (s invalidatingSource) Invalidate(rejected *oauth2.Token) { s.inv.Invalidate(rejected) }

// isNil reports whether v is nil or holds a nil pointer, map, func, slice,
// channel or interface, which would panic on first use.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Interface, reflect.Slice, reflect.Chan:
		return rv.IsNil()
	}
	return false
}
