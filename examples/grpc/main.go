// Command grpc shows grpccreds end to end, with no network and no secrets: a
// TLS gRPC server on 127.0.0.1 (certificate generated at start) checks the
// token on each call, and a client dialled with grpccreds sends it.
//
// It shows four things: a token the server rejects is invalidated and the
// call retried once with a fresh one; a stream gets a token too; a plaintext
// channel is refused before any token is fetched; and a call can pick
// another provider by name.
//
// Run it with: go run ./examples/grpc
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/grpccreds"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "examples/grpc:", err)
		os.Exit(1)
	}
}

// revoked is the token the server has revoked, as if an operator had
// rotated the credentials after the client cached it.
const revoked = "Bearer demo-token-1"

func run(ctx context.Context, out io.Writer) error {
	// A log.Logger serializes its writes: the server and the client both print.
	logger := log.New(out, "", 0)
	srv, err := startServer(func(v string) bool {
		ok := strings.HasPrefix(v, "Bearer demo-token-") && v != revoked
		logger.Printf("server: %s %s", map[bool]string{true: "accepted", false: "rejected"}[ok], label(v))
		return ok
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	logger.Printf("server: TLS on %s", srv.addr)

	// In an application the source is a *host.Source from a tokenplug
	// registry; here a fake that mints demo-token-1, 2, ...
	src := emulator.NewSource("demo")
	// The token goes only to the listed servers: here the local demo server.
	creds := grpccreds.New(src, grpccreds.WithLookup(grpccreds.LookupFunc(lookup)), grpccreds.WithHosts("127.0.0.1"))
	conn, err := grpc.NewClient(srv.addr,
		grpc.WithTransportCredentials(srv.clientCredentials()),
		grpc.WithPerRPCCredentials(creds),
		grpc.WithChainUnaryInterceptor(grpccreds.UnaryClientInterceptor()),
		grpc.WithChainStreamInterceptor(grpccreds.StreamClientInterceptor()))
	if err != nil {
		return err
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)

	logger.Println("client: Check (unary)")
	resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	logger.Printf("client: Check -> %v (tokens minted: %d)", resp.GetStatus(), src.Minted())

	if err := watch(ctx, logger, health); err != nil {
		return err
	}
	if err := plaintext(logger, srv.addr, src); err != nil {
		return err
	}
	logger.Println(`client: Check with provider "nope"`)
	_, err = health.Check(grpccreds.WithProvider(ctx, "nope"), &healthpb.HealthCheckRequest{})
	logger.Printf("client: -> %v: %s", status.Code(err), status.Convert(err).Message())
	logger.Printf("client: tokens minted in all: %d", src.Minted())
	return nil
}

func watch(ctx context.Context, logger *log.Logger, health healthpb.HealthClient) error {
	logger.Println("client: Watch (server stream)")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the stream
	stream, err := health.Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	resp, err := stream.Recv()
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	logger.Printf("client: Watch -> %v", resp.GetStatus())
	return nil
}

// plaintext shows that secure-by-default credentials refuse a channel
// without TLS before asking for a token.
func plaintext(logger *log.Logger, addr string, src *emulator.Source) error {
	logger.Println("client: dial the same credentials without TLS")
	before := src.Minted()
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(grpccreds.New(src)))
	if err == nil {
		conn.Close()
		return fmt.Errorf("plaintext dial was accepted")
	}
	logger.Printf("client: refused: %v (tokens fetched: %d)", err, src.Minted()-before)
	return nil
}

func lookup(name string) (grpccreds.TokenSource, error) {
	return nil, fmt.Errorf("no provider named %q is configured", name)
}

// label names a demo token by number, so the output shows which token went
// where without printing a credential.
func label(v string) string {
	if n, ok := strings.CutPrefix(v, "Bearer demo-token-"); ok {
		return "token #" + n
	}
	return "an unknown credential"
}
