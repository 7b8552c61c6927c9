package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// server is a TLS gRPC server on 127.0.0.1 with the standard health service
// and a token check on every call: the stand-in for the service a real
// client talks to.
type server struct {
	addr   string
	pool   *x509.CertPool // trusts exactly the server's certificate
	srv    *grpc.Server
	served chan struct{} // closed when Serve returns
}

// startServer serves on a free port of 127.0.0.1, with a certificate made
// now, and admits an RPC only if accept approves its authorization value.
func startServer(accept func(authorization string) bool) (*server, error) {
	cert, pool, err := selfSignedCert()
	if err != nil {
		return nil, err
	}
	check := func(ctx context.Context) error {
		md, _ := metadata.FromIncomingContext(ctx)
		vals := md.Get("authorization")
		if len(vals) != 1 || !accept(vals[0]) {
			// Never echo the value: it is a credential.
			return status.Error(codes.Unauthenticated, "missing or rejected authorization")
		}
		return nil
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &server{addr: lis.Addr().String(), pool: pool, served: make(chan struct{})}
	s.srv = grpc.NewServer(
		grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})),
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := check(ctx); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := check(ss.Context()); err != nil {
				return err
			}
			return h(srv, ss)
		}))
	healthpb.RegisterHealthServer(s.srv, health.NewServer())
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(lis) // returns nil after Stop
	}()
	return s, nil
}

// clientCredentials are TLS credentials that trust only this server.
func (s *server) clientCredentials() credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS13})
}

// Close stops the server, ending open RPCs, and waits for it.
func (s *server) Close() {
	s.srv.Stop()
	<-s.served
}

// selfSignedCert returns a fresh ECDSA P-256 certificate for 127.0.0.1,
// valid for a day, and a pool that trusts exactly it.
func selfSignedCert() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("serial number: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "tokenplug example"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("parse certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
