package grpccreds_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/grpccreds"
	"github.com/tokenplug/tokenplug/internal/grpctest"
)

func TestBearerTokenArrivesInAuthorizationMetadata(t *testing.T) {
	auth := grpctest.RequireBearer("t1")
	srv := startServer(t, grpctest.Config{Auth: auth})
	client := dial(t, srv, grpccreds.New(newSource("watson", "t")))

	if err := check(t.Context(), client); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if got := auth.Seen(); !slices.Equal(got, []string{"Bearer t1"}) {
		t.Errorf("server saw authorization %q, want [Bearer t1]", got)
	}
}

func TestOtherHeaderCarriesRawToken(t *testing.T) {
	src := newSource("azure", "key")
	src.Header = "Ocp-Apim-Subscription-Key"
	auth := &grpctest.Auth{Header: "ocp-apim-subscription-key", Accept: func(v string) bool { return v == "key1" }}
	srv := startServer(t, grpctest.Config{Auth: auth})
	client := dial(t, srv, grpccreds.New(src))

	if err := check(t.Context(), client); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if got := auth.Seen(); !slices.Equal(got, []string{"key1"}) {
		t.Errorf("server saw ocp-apim-subscription-key %q, want [key1]", got)
	}
}

func TestPlaintextDialIsRefusedWithoutFetching(t *testing.T) {
	srv := startServer(t, grpctest.Config{Plaintext: true})
	src := newSource("watson", "t")
	_, err := grpc.NewClient(srv.Addr(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(grpccreds.New(src)))
	if err == nil {
		t.Fatal("NewClient accepted secure-only credentials on a plaintext channel")
	}
	if n := src.Fetches(); n != 0 {
		t.Errorf("source was asked for %d tokens, want 0", n)
	}
}

// GetRequestMetadata is the last line of defence, for channels whose
// transport gRPC's own dial checks do not catch.
func TestGetRequestMetadataRefusesInsecureConnectionBeforeFetching(t *testing.T) {
	tests := []struct {
		name string
		ctx  context.Context
	}{
		{"no security", grpctest.RequestContext(t.Context(), "", credentials.NoSecurity)},
		{"integrity only", grpctest.RequestContext(t.Context(), "", credentials.IntegrityOnly)},
		{"called outside gRPC", t.Context()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newSource("watson", "t")
			creds := grpccreds.New(src)
			if !creds.RequireTransportSecurity() {
				t.Error("RequireTransportSecurity() = false by default")
			}
			md, err := creds.GetRequestMetadata(tt.ctx, "https://example.com/svc")
			if status.Code(err) != codes.Unauthenticated || md != nil {
				t.Fatalf("GetRequestMetadata = %v, %v; want Unauthenticated", md, err)
			}
			if !errors.Is(err, grpccreds.ErrInsecure) || !strings.Contains(err.Error(), `provider "watson"`) {
				t.Errorf("error %q: want ErrInsecure naming the provider", err)
			}
			if n := src.Fetches(); n != 0 {
				t.Errorf("source was asked for %d tokens, want 0", n)
			}
		})
	}
}

func TestAllowInsecureSendsTokenOverPlaintext(t *testing.T) {
	auth := grpctest.RequireBearer("t1")
	srv := startServer(t, grpctest.Config{Auth: auth, Plaintext: true})
	creds := grpccreds.New(newSource("watson", "t"), grpccreds.AllowInsecure())
	if creds.RequireTransportSecurity() {
		t.Error("RequireTransportSecurity() = true with AllowInsecure")
	}
	if err := check(t.Context(), dial(t, srv, creds)); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if got := auth.Seen(); !slices.Equal(got, []string{"Bearer t1"}) {
		t.Errorf("server saw %q, want [Bearer t1]", got)
	}
}

func TestTokenErrorIsUnauthenticatedNamingProvider(t *testing.T) {
	tests := []struct {
		name   string
		src    func() *source
		class  string
		sentry error  // errors.Is must hold on the RPC's error
		secret string // must not appear in the error
	}{
		{"permanent", func() *source {
			s := newSource("watson", "t")
			s.Fail(tokenplug.Permanent(errors.New("tokenplug/iam: 400 invalid apikey")))
			return s
		}, "permanent error", tokenplug.ErrPermanent, ""},
		{"temporary", func() *source {
			s := newSource("watson", "t")
			s.Fail(tokenplug.Temporary(errors.New("tokenplug/iam: 503 from token url")))
			return s
		}, "temporary error", tokenplug.ErrTemporary, ""},
		{"token unusable as metadata", func() *source {
			s := newSource("watson", "secret-token-")
			s.Header = "grpc-status"
			return s
		}, "permanent error", tokenplug.ErrPermanent, "secret-token-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := rejecting()
			srv := startServer(t, grpctest.Config{Auth: auth})
			client := dial(t, srv, grpccreds.New(tt.src()))

			err := check(t.Context(), client)
			if status.Code(err) != codes.Unauthenticated {
				t.Fatalf("Check error %v; want Unauthenticated", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, `provider "watson"`) || !strings.Contains(msg, tt.class) {
				t.Errorf("error %q: want the provider name and %q", msg, tt.class)
			}
			if tt.secret != "" && strings.Contains(msg, tt.secret) {
				t.Errorf("error %q contains the token", msg)
			}
			if !errors.Is(err, tt.sentry) {
				t.Errorf("errors.Is(%v, %v) = false; the cause should stay reachable", err, tt.sentry)
			}
			if got := auth.Seen(); len(got) != 0 {
				t.Errorf("server saw %d calls, want 0", len(got))
			}
		})
	}
}

// blockingSource waits for its context, to show which context it gets.
type blockingSource struct{ started chan context.Context }

func (b blockingSource) Token(ctx context.Context) (*oauth2.Token, error) {
	b.started <- ctx
	<-ctx.Done()
	return nil, ctx.Err()
}

type ctxKey struct{}

func TestSourceGetsTheRPCsContext(t *testing.T) {
	srv := startServer(t, grpctest.Config{Auth: rejecting()})
	src := blockingSource{started: make(chan context.Context, 1)}
	client := dial(t, srv, grpccreds.New(src, grpccreds.WithName("slow"), grpccreds.WithHosts("127.0.0.1")))

	ctx, cancel := context.WithCancel(context.WithValue(t.Context(), ctxKey{}, "rpc"))
	errc := make(chan error, 1)
	go func() { errc <- check(ctx, client) }()
	got := <-src.started
	if got.Value(ctxKey{}) != "rpc" {
		t.Error("source did not get the RPC's context")
	}
	cancel()
	err := <-errc
	if status.Code(err) != codes.Canceled || !strings.Contains(err.Error(), `provider "slow"`) {
		t.Errorf("Check error %v; want Canceled naming provider \"slow\"", err)
	}
}

func TestFromOAuth2(t *testing.T) {
	auth := grpctest.RequireBearer("static")
	srv := startServer(t, grpctest.Config{Auth: auth})
	src := grpccreds.FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "static"}))
	if err := check(t.Context(), dial(t, srv, grpccreds.New(src, grpccreds.WithHosts("127.0.0.1")))); err != nil {
		t.Fatalf("Check: %v", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := src.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Token on a cancelled context = %v, want context.Canceled", err)
	}
}

func TestDefaultName(t *testing.T) {
	src := grpccreds.FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: ""}))
	_, err := grpccreds.New(src, grpccreds.AllowInsecure()).GetRequestMetadata(t.Context())
	if !strings.Contains(err.Error(), `provider "unnamed"`) {
		t.Errorf("error %q: want provider \"unnamed\" for a source without Name", err)
	}
}
