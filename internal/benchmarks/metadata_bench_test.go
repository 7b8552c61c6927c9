package benchmarks_test

import (
	"context"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/oauth"

	"github.com/tokenplug/tokenplug/grpccreds"
	"github.com/tokenplug/tokenplug/internal/grpctest"
	"github.com/tokenplug/tokenplug/internal/sourcetest"
)

// BenchmarkGetRequestMetadata asks per-RPC credentials for the header of one
// RPC on a TLS connection, with a valid cached token:
//
//   - impl=oauth: grpc's credentials/oauth.TokenSource over
//     oauth2.ReuseTokenSource.
//   - impl=tokenplug: grpccreds.New over a real *host.Source (fault plugin,
//     token cached).
//   - impl=tokenplug-static: grpccreds.New over a source that returns a
//     fixed token: the credentials alone.
func BenchmarkGetRequestMetadata(b *testing.B) {
	_, src := warmSource(b, "fault", "api.example.com")
	tok := &oauth2.Token{AccessToken: "tok-1", TokenType: "bearer", Expiry: time.Now().Add(time.Hour)}
	impls := []struct {
		name  string
		creds credentials.PerRPCCredentials
	}{
		{"oauth", oauth.TokenSource{TokenSource: oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(tok))}},
		{"tokenplug", grpccreds.New(src)},
		{"tokenplug-static", grpccreds.New(sourcetest.Static{Tok: tok}, grpccreds.WithHosts("api.example.com"))},
	}
	// A TLS connection's security level, which both sides check.
	ctx := grpctest.RequestContext(b.Context(), "/grpc.health.v1.Health/Check", credentials.PrivacyAndIntegrity)
	for _, impl := range impls {
		checkMetadata(b, impl.name, impl.creds, ctx)
		serialAndParallel(b, impl.name, func() { impl.creds.GetRequestMetadata(ctx, audience) })
	}
}

// audience is the URI gRPC passes to per-RPC credentials for a call to
// api.example.com:443 (its authority, then the service): tokenplug checks
// the authority against the provider's hosts; oauth ignores it.
const audience = "https://api.example.com/grpc.health.v1.Health"

// checkMetadata fails b unless creds return the bearer token.
func checkMetadata(b *testing.B, name string, creds credentials.PerRPCCredentials, ctx context.Context) {
	b.Helper()
	md, err := creds.GetRequestMetadata(ctx, audience)
	if err != nil || md["authorization"] != "Bearer tok-1" {
		b.Fatalf("%s returned %v (error %v), want the cached bearer token", name, md, err)
	}
}

// BenchmarkCachedToken asks a token source for its valid cached token: the
// part of the per-request cost that differs between tokenplug and x/oauth2,
// without the request clone both pay around it.
//
//   - impl=oauth2: oauth2.ReuseTokenSource, which locks a mutex and checks
//     the expiry on every call.
//   - impl=tokenplug: *host.Source, an atomic load and a time comparison.
func BenchmarkCachedToken(b *testing.B) {
	_, src := warmSource(b, "fault")
	tok := &oauth2.Token{AccessToken: "tok-1", TokenType: "bearer", Expiry: time.Now().Add(time.Hour)}
	reuse := oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(tok))
	impls := []struct {
		name  string
		token func(context.Context) (*oauth2.Token, error)
	}{
		{"oauth2", func(context.Context) (*oauth2.Token, error) { return reuse.Token() }},
		{"tokenplug", src.Token},
	}
	ctx := b.Context()
	for _, impl := range impls {
		serialAndParallel(b, impl.name, func() { impl.token(ctx) })
	}
}
