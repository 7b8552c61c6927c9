// Package grpctest starts real gRPC servers on 127.0.0.1 for tests and demos:
// TLS with a self-signed certificate made at start, the standard health
// service, and an optional token check. Nothing here touches the network
// beyond loopback.
package grpctest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Config describes a server for Start. The zero value is a TLS server with
// the health service and no token check.
type Config struct {
	// Auth, if set, checks the token on every unary and streaming RPC.
	Auth *Auth
	// Plaintext serves without TLS, for tests of what happens on an
	// insecure connection.
	Plaintext bool
	// Register adds services beyond health, before the server starts.
	Register func(*grpc.Server)
}

// Server is a running gRPC server on 127.0.0.1. Close stops it.
type Server struct {
	addr   string
	pool   *x509.CertPool // nil when plaintext
	srv    *grpc.Server
	health *health.Server
	served chan struct{} // closed when Serve returns
}

// Start listens on a free port of 127.0.0.1 and serves in the background.
func Start(cfg Config) (*Server, error) {
	var opts []grpc.ServerOption
	s := &Server{health: health.NewServer(), served: make(chan struct{})}
	if !cfg.Plaintext {
		cert, pool, err := SelfSignedCert()
		if err != nil {
			return nil, err
		}
		s.pool = pool
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS13,
		})))
	}
	if cfg.Auth != nil {
		opts = append(opts,
			grpc.ChainUnaryInterceptor(cfg.Auth.Unary()),
			grpc.ChainStreamInterceptor(cfg.Auth.Stream()))
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("grpctest: listen: %w", err)
	}
	s.addr = lis.Addr().String()
	s.srv = grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(s.srv, s.health)
	if cfg.Register != nil {
		cfg.Register(s.srv)
	}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(lis) // returns nil after Stop; nothing else to report
	}()
	return s, nil
}

// Addr is the host:port to dial.
func (s *Server) Addr() string { return s.addr }

// Health is the server's health service, to change what Check and Watch
// report.
func (s *Server) Health() *health.Server { return s.health }

// ClientCredentials returns transport credentials for dialling this server:
// TLS trusting only its certificate, or insecure for a plaintext server.
func (s *Server) ClientCredentials() credentials.TransportCredentials {
	if s.pool == nil {
		return insecure.NewCredentials()
	}
	return credentials.NewTLS(&tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS13})
}

// Close stops the server, ending open RPCs, and waits for it to finish.
func (s *Server) Close() {
	s.srv.Stop()
	<-s.served
}
