package grpccreds_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"golang.org/x/oauth2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/grpccreds"
	"github.com/tokenplug/tokenplug/hostmatch"
	"github.com/tokenplug/tokenplug/internal/grpctest"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// bins holds the plugin binaries built once for the package's tests.
var bins = map[string]string{}

func TestMain(m *testing.M) {
	testbin.Main(m, bins, testbin.Plugins("symphony", "fault"))
}

// source is an in-process provider: it mints "<prefix><n>" on the n-th
// fetch, caches it until Invalidate drops it (only if it is still the
// cached one, as host.Source does), and records what happened.
type source struct {
	name   string
	prefix string
	header string   // if set, tokens go in this header (tokenplug.WithHeader)
	err    error    // if set, Token fails with it
	hosts  []string // its provider's hosts; nil: the test servers' 127.0.0.1

	mu          sync.Mutex // guards the fields below
	fetches     int
	cur         *oauth2.Token
	invalidated []string
}

func newSource(name, prefix string) *source { return &source{name: name, prefix: prefix} }

func (s *source) Name() string { return s.name }

// HostScope reports the provider's hosts, as host.Source does.
func (s *source) HostScope(context.Context) (*hostmatch.Scope, error) {
	hosts := s.hosts
	if hosts == nil {
		hosts = []string{"127.0.0.1"}
	}
	m, err := hostmatch.Parse(hosts...)
	return hostmatch.NewScope(m, false), err
}

func (s *source) Token(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		s.fetches++
		return nil, s.err
	}
	if s.cur == nil {
		s.fetches++
		tok := &oauth2.Token{AccessToken: fmt.Sprintf("%s%d", s.prefix, s.fetches), TokenType: "Bearer"}
		if s.header != "" {
			tok = tokenplug.WithHeader(tok, s.header)
		}
		s.cur = tok
	}
	return s.cur, nil
}

func (s *source) Invalidate(rejected *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalidated = append(s.invalidated, rejected.AccessToken)
	if s.cur != nil && s.cur.AccessToken == rejected.AccessToken {
		s.cur = nil
	}
}

func (s *source) stats() (fetches int, invalidated []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches, append([]string(nil), s.invalidated...)
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
