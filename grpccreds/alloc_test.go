package grpccreds_test

import (
	"testing"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/credentials"

	"github.com/tokenplug/tokenplug/grpccreds"
	"github.com/tokenplug/tokenplug/hostmatch"
	"github.com/tokenplug/tokenplug/internal/grpctest"
	"github.com/tokenplug/tokenplug/internal/sourcetest"
)

// The hot path costs the metadata map gRPC asks for, nothing else: the
// security level, the authority and the scope are checked without
// allocating, whether the hosts come from WithHosts or from the source.
// The side-by-side benchmarks against grpc's oauth.TokenSource are in
// internal/benchmarks.
func TestHotPathAllocations(t *testing.T) {
	const maxAllocs = 2 // the returned map (header and one group); measured 2 with Go 1.26, as before the scope check
	tok := &oauth2.Token{AccessToken: "tok-1", TokenType: "Bearer"}
	m, err := hostmatch.Parse("api.example.com", "*.example.org")
	if err != nil {
		t.Fatal(err)
	}
	ctx := grpctest.RequestContext(t.Context(), "/grpc.health.v1.Health/Check", credentials.PrivacyAndIntegrity)
	creds := map[string]*grpccreds.PerRPC{
		"WithHosts":          grpccreds.New(sourcetest.Static{Tok: tok}, grpccreds.WithHosts("api.example.com", "*.example.org")),
		"the source's scope": grpccreds.New(sourcetest.NewPublished(tok, hostmatch.NewScope(m, false))),
	}
	for name, c := range creds {
		for _, uri := range []string{"https://api.example.com/grpc.health.v1.Health", "https://a.example.org:8443/grpc.health.v1.Health"} {
			if md, err := c.GetRequestMetadata(ctx, uri); err != nil || md["authorization"] != "Bearer tok-1" {
				t.Fatalf("%s, %s: %v, %v", name, uri, md, err)
			}
			n := testing.AllocsPerRun(100, func() { c.GetRequestMetadata(ctx, uri) })
			t.Logf("%s, %s: %v allocations", name, uri, n)
			if n > maxAllocs {
				t.Errorf("%s, %s: %v allocations per RPC, want at most %d", name, uri, n, maxAllocs)
			}
		}
	}
}
