package grpccreds_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tokenplug/tokenplug/grpccreds"
	"github.com/tokenplug/tokenplug/hostmatch"
	"github.com/tokenplug/tokenplug/internal/grpctest"
	"github.com/tokenplug/tokenplug/internal/sourcetest"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

func TestMain(m *testing.M) {
	testbin.Main(m, testbin.Plugins("symphony", "fault", "azure"))
}

// source is a sourcetest.Rotating that reports its provider's hosts, as
// host.Source does.
type source struct {
	*sourcetest.Rotating
	hosts []string // its provider's hosts; nil: the test servers' 127.0.0.1
}

func newSource(name, prefix string) *source {
	return &source{Rotating: &sourcetest.Rotating{Provider: name, Prefix: prefix}}
}

// HostScope reports the provider's hosts, as host.Source does.
func (s *source) HostScope(context.Context) (*hostmatch.Scope, error) {
	hosts := s.hosts
	if hosts == nil {
		hosts = []string{"127.0.0.1"}
	}
	m, err := hostmatch.Parse(hosts...)
	return hostmatch.NewScope(m, false), err
}

// rejecting returns an Auth that accepts any "Bearer" value except those
// listed.
func rejecting(bad ...string) *grpctest.Auth {
	return &grpctest.Auth{Accept: func(v string) bool {
		for _, b := range bad {
			if v == b {
				return false
			}
		}
		return v != ""
	}}
}

func startServer(t *testing.T, cfg grpctest.Config) *grpctest.Server {
	t.Helper()
	s, err := grpctest.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// dial connects to s with creds and the retry interceptors.
func dial(t *testing.T, s *grpctest.Server, creds credentials.PerRPCCredentials) healthpb.HealthClient {
	t.Helper()
	conn, err := grpc.NewClient(s.Addr(),
		grpc.WithTransportCredentials(s.ClientCredentials()),
		grpc.WithPerRPCCredentials(creds),
		grpc.WithChainUnaryInterceptor(grpccreds.UnaryClientInterceptor()),
		grpc.WithChainStreamInterceptor(grpccreds.StreamClientInterceptor()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return healthpb.NewHealthClient(conn)
}

func check(ctx context.Context, c healthpb.HealthClient) error {
	_, err := c.Check(ctx, &healthpb.HealthCheckRequest{})
	return err
}
