package grpccreds

import (
	"context"
	"errors"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/internal/nilcheck"
)

// Lookup finds a provider's token source by name, for calls that pick a
// provider with WithProvider. It must be safe for concurrent use. A
// *host.Registry adapts with LookupFunc:
//
//	grpccreds.LookupFunc(func(name string) (grpccreds.TokenSource, error) {
//		return reg.Source(name)
//	})
type Lookup interface {
	Source(name string) (TokenSource, error)
}

// LookupFunc adapts a function to Lookup.
type LookupFunc func(name string) (TokenSource, error)

// Source calls f(name).
func (f LookupFunc) Source(name string) (TokenSource, error) { return f(name) }

// WithLookup lets calls pick another provider by name with WithProvider.
// Without it, such calls fail with Unauthenticated.
func WithLookup(l Lookup) Option { return func(c *PerRPC) { c.lookup = l } }

type providerKey struct{}

// WithProvider returns a context whose RPCs take their token from the
// provider called name, found through the credentials' Lookup, instead of
// the credentials' own source. An unknown name fails the RPC with
// Unauthenticated, naming it.
//
// It is a context value rather than a grpc.CallOption because
// PerRPCCredentials see only the context: a call option would need an
// interceptor to carry it, and would be silently ignored without one,
// sending the default provider's token where another was meant.
func WithProvider(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, providerKey{}, name)
}

func providerFrom(ctx context.Context) (string, bool) {
	name, ok := ctx.Value(providerKey{}).(string)
	return name, ok
}

// errNoLookup and errNoSource are configuration mistakes: a WithProvider
// call without WithLookup, or a nil source from New or a Lookup.
var (
	errNoLookup = errors.New("cannot pick a provider by name: no Lookup configured (use WithLookup)")
	errNoSource = errors.New("no token source")
)

// resolve finds the source for provider name. Failures are configuration
// errors: no retry will make an unknown name known.
func (c *PerRPC) resolve(name string) (string, TokenSource, error) {
	if c.lookup == nil {
		return "", nil, configError(name, errNoLookup)
	}
	src, err := c.lookup.Source(name)
	if err != nil {
		return "", nil, configError(name, err)
	}
	if nilcheck.Is(src) {
		return "", nil, configError(name, errNoSource)
	}
	return name, src, nil
}

// configError reports a configuration mistake about provider name. The
// Lookup's error is passed on as it is: a registry's already says the name
// is unknown.
func configError(name string, err error) error {
	return tokenError(context.Background(), name, &tokenplug.Error{Kind: tokenplug.KindConfig, Err: err})
}
