package grpccreds_test

import (
	"slices"
	"sync"
	"testing"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/tokenplug/tokenplug/grpccreds"
	"github.com/tokenplug/tokenplug/internal/grpctest"
)

func TestUnaryRetriesOnceWithFreshTokenWhenServerRejects(t *testing.T) {
	auth := rejecting("Bearer t1")
	srv := startServer(t, grpctest.Config{Auth: auth})
	src := newSource("watson", "t")
	client := dial(t, srv, grpccreds.New(src))

	if err := check(t.Context(), client); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if got := auth.Seen(); !slices.Equal(got, []string{"Bearer t1", "Bearer t2"}) {
		t.Errorf("server saw %q, want [Bearer t1 Bearer t2]", got)
	}
	if inv := src.Invalidated(); !slices.Equal(inv, []string{"t1"}) {
		t.Errorf("invalidated %q, want [t1]", inv)
	}
}

func TestUnaryRetriesOnlyOnceWhenServerAlwaysRejects(t *testing.T) {
	auth := &grpctest.Auth{} // accepts nothing
	srv := startServer(t, grpctest.Config{Auth: auth})
	src := newSource("watson", "t")
	client := dial(t, srv, grpccreds.New(src))

	for range 2 {
		if err := check(t.Context(), client); status.Code(err) != codes.Unauthenticated {
			t.Fatalf("Check error %v, want the server's Unauthenticated", err)
		}
	}
	// Each call: the first token, one invalidation, one retry with a fresh
	// token, then give up.
	want := []string{"Bearer t1", "Bearer t2", "Bearer t2", "Bearer t3"}
	if got := auth.Seen(); !slices.Equal(got, want) {
		t.Errorf("server saw %q, want %q", got, want)
	}
	if n := src.Fetches(); n != 3 {
		t.Errorf("source fetched %d tokens, want 3", n)
	}
}

func TestUnaryDoesNotRetryWhatARetryCannotFix(t *testing.T) {
	tests := []struct {
		name      string
		creds     func() *grpccreds.PerRPC
		wantCalls int
	}{
		{"source cannot invalidate", func() *grpccreds.PerRPC {
			return grpccreds.New(grpccreds.FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"})), grpccreds.WithHosts("127.0.0.1"))
		}, 1},
		{"credentials failed before sending", func() *grpccreds.PerRPC {
			src := newSource("watson", "t")
			src.Fail(errTest)
			return grpccreds.New(src)
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := &grpctest.Auth{}
			srv := startServer(t, grpctest.Config{Auth: auth})
			if err := check(t.Context(), dial(t, srv, tt.creds())); status.Code(err) != codes.Unauthenticated {
				t.Fatalf("Check error %v, want Unauthenticated", err)
			}
			if got := auth.Seen(); len(got) != tt.wantCalls {
				t.Errorf("server saw %d calls, want %d", len(got), tt.wantCalls)
			}
		})
	}
}

func TestStreamRejectionInvalidatesTokenWithoutRetry(t *testing.T) {
	auth := rejecting("Bearer t1")
	srv := startServer(t, grpctest.Config{Auth: auth})
	src := newSource("watson", "t")
	client := dial(t, srv, grpccreds.New(src))

	watch := func() error {
		stream, err := client.Watch(t.Context(), &healthpb.HealthCheckRequest{})
		if err != nil {
			return err
		}
		resp, err := stream.Recv()
		if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("Watch status %v, want SERVING", resp.GetStatus())
		}
		return err
	}
	if err := watch(); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("first Watch: %v, want Unauthenticated", err)
	}
	if got := auth.Seen(); !slices.Equal(got, []string{"Bearer t1"}) {
		t.Errorf("after first Watch server saw %q, want [Bearer t1] (no retry)", got)
	}
	if inv := src.Invalidated(); !slices.Equal(inv, []string{"t1"}) {
		t.Errorf("invalidated %q, want [t1]", inv)
	}
	if err := watch(); err != nil {
		t.Fatalf("second Watch: %v", err)
	}
	if got := auth.Seen(); !slices.Equal(got, []string{"Bearer t1", "Bearer t2"}) {
		t.Errorf("server saw %q, want the next stream to carry t2", got)
	}
}

// concurrentCalls is enough goroutines to have many RPCs in flight with the
// rejected token at once, on a 2-core machine.
const concurrentCalls = 50

func TestConcurrentRPCsShareOneRefreshAfterRejection(t *testing.T) {
	auth := rejecting("Bearer t1")
	srv := startServer(t, grpctest.Config{Auth: auth})
	src := newSource("watson", "t")
	client := dial(t, srv, grpccreds.New(src))

	var wg sync.WaitGroup
	errs := make(chan error, concurrentCalls)
	for range concurrentCalls {
		wg.Go(func() { errs <- check(t.Context(), client) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Check: %v", err)
		}
	}
	// Every call that sent t1 invalidates t1, but only the first drops it:
	// the others find t2 cached and leave it.
	if n := src.Fetches(); n != 2 {
		t.Errorf("source fetched %d tokens, want 2", n)
	}
	if got := len(auth.Seen()); got < concurrentCalls || got > 2*concurrentCalls {
		t.Errorf("server saw %d calls, want between %d and %d", got, concurrentCalls, 2*concurrentCalls)
	}
}
