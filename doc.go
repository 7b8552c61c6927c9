// Package tokenplug is the token contract that the rest of the module
// shares, said once: what a token source is ([TokenSource], [Invalidator],
// [FromOAuth2]), how its failures are classified ([Error], [Kind] and the
// sentinels such as [ErrPermanent]), and which header a token travels in
// ([WithHeader], [RequestHeader]).
//
// It is deliberately small and imports only the standard library and
// golang.org/x/oauth2, so that the packages that put tokens on requests,
// transport (HTTP) and grpccreds (gRPC), cost their users nothing more. The
// plugin host (package host), the plugin SDK (package plugin) and the
// shared cache (package host/rediscache) build on it; plugin re-exports
// these names so that a plugin author needs only the SDK.
//
// Everything here is safe for concurrent use: the functions are pure, and
// the interfaces state what they require of implementations.
package tokenplug
