package grpccreds_test

import (
	"context"
	"fmt"
	"log"

	"golang.org/x/oauth2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/tokenplug/tokenplug/grpccreds"
	"github.com/tokenplug/tokenplug/internal/grpctest"
)

// Dial a TLS server with a token on every call. In an application src is a
// *host.Source from a host.Registry; here it is a fixed oauth2 token, and the
// server is a local TLS server that accepts only that token.
func Example() {
	srv, err := grpctest.Start(grpctest.Config{Auth: grpctest.RequireBearer("demo-token")})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	src := grpccreds.FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "demo-token"}))
	conn, err := grpc.NewClient(srv.Addr(),
		grpc.WithTransportCredentials(srv.ClientCredentials()), // TLS: required by default
		// The token goes only to the listed servers: here the local test
		// server; in production, yours ("api.example.com").
		grpc.WithPerRPCCredentials(grpccreds.New(src, grpccreds.WithName("demo"), grpccreds.WithHosts("127.0.0.1"))),
		grpc.WithChainUnaryInterceptor(grpccreds.UnaryClientInterceptor()),
		grpc.WithChainStreamInterceptor(grpccreds.StreamClientInterceptor()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	resp, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.GetStatus())
	// Output: SERVING
}

// Pick another provider for one call. With a host.Registry the Lookup is
//
//	grpccreds.LookupFunc(func(name string) (grpccreds.TokenSource, error) { return reg.Source(name) })
func ExampleWithProvider() {
	srv, err := grpctest.Start(grpctest.Config{Auth: grpctest.RequireBearer("azure-token")})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	sources := map[string]grpccreds.TokenSource{
		"watson": grpccreds.FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "watson-token"})),
		"azure":  grpccreds.FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "azure-token"})),
	}
	lookup := grpccreds.LookupFunc(func(name string) (grpccreds.TokenSource, error) {
		if s, ok := sources[name]; ok {
			return s, nil
		}
		return nil, fmt.Errorf("no provider %q", name)
	})
	// A *host.Source knows its provider's hosts; these oauth2 sources do
	// not, so WithHosts names the one server they may reach.
	creds := grpccreds.New(sources["watson"], grpccreds.WithName("watson"), grpccreds.WithLookup(lookup),
		grpccreds.WithHosts("127.0.0.1"))
	conn, err := grpc.NewClient(srv.Addr(),
		grpc.WithTransportCredentials(srv.ClientCredentials()),
		grpc.WithPerRPCCredentials(creds))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)

	_, err = health.Check(context.Background(), &healthpb.HealthCheckRequest{})
	fmt.Println("watson:", status.Code(err))
	_, err = health.Check(grpccreds.WithProvider(context.Background(), "azure"), &healthpb.HealthCheckRequest{})
	fmt.Println("azure:", status.Code(err))
	_, err = health.Check(grpccreds.WithProvider(context.Background(), "nope"), &healthpb.HealthCheckRequest{})
	fmt.Println("nope:", status.Code(err) == codes.Unauthenticated)
	// Output:
	// watson: Unauthenticated
	// azure: OK
	// nope: true
}
