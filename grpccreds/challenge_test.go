package grpccreds_test

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/tokenplug/tokenplug/grpccreds"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/grpctest"
	"github.com/tokenplug/tokenplug/internal/sourcetest"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// faultProvider is sourcetest.FaultChallenger with the fault plugin.
func faultProvider(t *testing.T, allowed string, args ...string) *host.Source {
	t.Helper()
	return sourcetest.FaultChallenger(t, testbin.Path("fault"), allowed, args...)
}

// challengingAuth accepts tokens answering a challenge ("ch-...") that
// accept approves, and refuses the rest with code and challenge.
func challengingAuth(code codes.Code, challenge string, accept func(tok string) bool) *grpctest.Auth {
	return &grpctest.Auth{
		Accept: func(v string) bool {
			tok := strings.TrimPrefix(v, "Bearer ")
			return strings.HasPrefix(tok, "ch-") && accept(tok)
		},
		Challenge: func(string) (codes.Code, string) { return code, challenge },
	}
}

func never(string) bool { return false }

func TestGRPCInsufficientScopeIsAnsweredOnceAndTheDefaultTokenKept(t *testing.T) {
	for _, inHeader := range []bool{false, true} {
		auth := challengingAuth(codes.PermissionDenied, `Bearer error="insufficient_scope", scope="write"`,
			func(tok string) bool { return strings.HasPrefix(tok, "ch-2.write.") })
		auth.ChallengeInHeader = inHeader
		client := dial(t, startServer(t, grpctest.Config{Auth: auth}), grpccreds.New(faultProvider(t, "write")))
		for range 2 {
			if err := check(t.Context(), client); err != nil {
				t.Fatalf("challenge in header %v: Check: %v", inHeader, err)
			}
		}
		want := []string{"Bearer tok-1", "Bearer ch-2.write...", "Bearer tok-1", "Bearer ch-2.write..."}
		if got := auth.Seen(); !slices.Equal(got, want) {
			t.Errorf("challenge in header %v: server saw %q, want %q", inHeader, got, want)
		}
	}
}

func TestGRPCEntraClaimsChallengeIsAnswered(t *testing.T) {
	claims := `{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}`
	want := base64.RawURLEncoding.EncodeToString([]byte(claims))
	auth := challengingAuth(codes.Unauthenticated, `Bearer error="insufficient_claims", claims="`+base64.StdEncoding.EncodeToString([]byte(claims))+`"`,
		func(tok string) bool { return strings.Split(tok, ".")[2] == want })
	client := dial(t, startServer(t, grpctest.Config{Auth: auth}), grpccreds.New(faultProvider(t, "")))
	if err := check(t.Context(), client); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

func TestGRPCScopeBeyondChallengeScopesReturnsTheRefusalNamingScopeAndSetting(t *testing.T) {
	auth := challengingAuth(codes.PermissionDenied, `Bearer error="insufficient_scope", scope="admin"`, never)
	client := dial(t, startServer(t, grpctest.Config{Auth: auth}), grpccreds.New(faultProvider(t, "write")))
	err := check(t.Context(), client)
	msg := status.Convert(err).Message()
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(msg, `scope "admin"`) || !strings.Contains(msg, "challenge_scopes") ||
		!strings.Contains(msg, "grpctest: authorization refused") {
		t.Fatalf("err = %v; want the server's PermissionDenied naming the scope and challenge_scopes", err)
	}
	if got := auth.Seen(); !slices.Equal(got, []string{"Bearer tok-1"}) {
		t.Errorf("server saw %q, want one call", got)
	}
}

func TestGRPCServerThatChallengesForeverCostsOneFetchAndNoLoop(t *testing.T) {
	auth := challengingAuth(codes.Unauthenticated, `Bearer error="insufficient_scope", scope="write"`, never)
	client := dial(t, startServer(t, grpctest.Config{Auth: auth}), grpccreds.New(faultProvider(t, "write")))
	for range 3 {
		if err := check(t.Context(), client); status.Code(err) != codes.Unauthenticated {
			t.Fatalf("Check: %v, want the second challenge's Unauthenticated", err)
		}
	}
	want := slices.Repeat([]string{"Bearer tok-1", "Bearer ch-2.write..."}, 3)
	if got := auth.Seen(); !slices.Equal(got, want) {
		t.Errorf("server saw %q, want %q", got, want)
	}
}

func TestGRPCInvalidTokenIsOneRefetch(t *testing.T) {
	auth := &grpctest.Auth{
		Accept:    func(v string) bool { return v != "Bearer tok-1" },
		Challenge: func(string) (codes.Code, string) { return codes.Unauthenticated, `Bearer error="invalid_token"` },
	}
	client := dial(t, startServer(t, grpctest.Config{Auth: auth}), grpccreds.New(faultProvider(t, "write")))
	if err := check(t.Context(), client); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if got := auth.Seen(); !slices.Equal(got, []string{"Bearer tok-1", "Bearer tok-2"}) {
		t.Errorf("server saw %q", got)
	}
}

func TestGRPCOldProtocolPluginIgnoresChallengesWithoutAFetch(t *testing.T) {
	for _, tt := range []struct {
		name    string
		allowed string
		args    []string
	}{{"a token source that answers none", "-", nil}, {"an old-protocol plugin", "write", []string{"--no-challenges"}}} {
		t.Run(tt.name, func(t *testing.T) {
			auth := challengingAuth(codes.Unauthenticated, `Bearer error="insufficient_scope", scope="write"`, func(string) bool { return true })
			client := dial(t, startServer(t, grpctest.Config{Auth: auth}), grpccreds.New(faultProvider(t, tt.allowed, tt.args...)))
			for range 2 {
				err := check(t.Context(), client)
				if status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), "does not answer challenges") && !strings.Contains(err.Error(), "answers no challenges") {
					t.Fatalf("Check: %v, want the Unauthenticated saying the provider answers no challenges", err)
				}
			}
			if got := auth.Seen(); !slices.Equal(got, []string{"Bearer tok-1", "Bearer tok-1"}) {
				t.Errorf("server saw %q, want tok-1 twice (no fetch, no retry)", got)
			}
		})
	}
}

func TestGRPCStreamRefusedWithAChallengeKeepsTheDefaultToken(t *testing.T) {
	auth := challengingAuth(codes.Unauthenticated, `Bearer error="insufficient_scope", scope="write"`, never)
	client := dial(t, startServer(t, grpctest.Config{Auth: auth}), grpccreds.New(faultProvider(t, "write")))
	for range 2 {
		stream, err := client.Watch(t.Context(), &healthpb.HealthCheckRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		if status.Code(err) != codes.Unauthenticated {
			t.Fatalf("Watch: %v, want Unauthenticated", err)
		}
	}
	if got := auth.Seen(); !slices.Equal(got, []string{"Bearer tok-1", "Bearer tok-1"}) {
		t.Errorf("server saw %q, want tok-1 twice: a challenge is no reason to drop the token", got)
	}
}
