package grpccreds_test

import (
	"testing"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/tokenplug/tokenplug/grpccreds"
	"github.com/tokenplug/tokenplug/internal/grpctest"
	"github.com/tokenplug/tokenplug/internal/sourcetest"
)

// TestMalformedAuthoritiesGetNoToken: an authority with an empty label or
// a second trailing dot is no host (RFC 1035 §2.3.1), and a wildcard covers
// names, never IP addresses: such RPCs fail with PermissionDenied before
// a token is fetched. One trailing dot is the FQDN form of the same name.
func TestMalformedAuthoritiesGetNoToken(t *testing.T) {
	ctx := grpctest.RequestContext(t.Context(), "/grpc.health.v1.Health/Check", credentials.PrivacyAndIntegrity)
	tok := &oauth2.Token{AccessToken: "tok-1", TokenType: "Bearer"}
	creds := grpccreds.New(sourcetest.Static{Tok: tok}, grpccreds.WithHosts("*.example.com", "api.example.org"))
	for _, authority := range []string{"api..example.com", ".api.example.com", "api.example.org..:443", "a.example.com..", "[::1]"} {
		md, err := creds.GetRequestMetadata(ctx, "https://"+authority+"/grpc.health.v1.Health")
		if status.Code(err) != codes.PermissionDenied || md != nil {
			t.Errorf("authority %q: %v, %v; want PermissionDenied and no token", authority, md, err)
		}
	}
	for _, authority := range []string{"api.example.org.:443", "a.example.com."} {
		if md, err := creds.GetRequestMetadata(ctx, "https://"+authority+"/grpc.health.v1.Health"); err != nil || md["authorization"] != "Bearer tok-1" {
			t.Errorf("authority %q: %v, %v; want the token", authority, md, err)
		}
	}
}
