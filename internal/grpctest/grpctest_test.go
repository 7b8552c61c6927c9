package grpctest

import (
	"crypto/x509"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSelfSignedCertVerifiesForLoopbackNames(t *testing.T) {
	cert, pool, err := SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"127.0.0.1", "::1", "localhost"} {
		if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: pool}); err != nil {
			t.Errorf("certificate does not verify for %s: %v", name, err)
		}
	}
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: pool}); err == nil {
		t.Error("certificate verifies for example.com")
	}
}

func TestAuthAcceptsOnlyOneGoodValue(t *testing.T) {
	auth := RequireBearer("good")
	srv, err := Start(Config{Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(srv.ClientCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)

	tests := []struct {
		name string
		md   []string // authorization values
		want codes.Code
	}{
		{"good", []string{"Bearer good"}, codes.OK},
		{"missing", nil, codes.Unauthenticated},
		{"wrong", []string{"Bearer bad"}, codes.Unauthenticated},
		{"two values", []string{"Bearer good", "Bearer good"}, codes.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			for _, v := range tt.md {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", v)
			}
			_, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
			if status.Code(err) != tt.want {
				t.Errorf("Check: %v, want %v", err, tt.want)
			}
			if err != nil && slices.ContainsFunc(tt.md, func(v string) bool { return strings.Contains(err.Error(), v) }) {
				t.Errorf("rejection %q echoes the credential", err)
			}
		})
	}
	want := []string{"Bearer good", "", "Bearer bad", "Bearer good", "Bearer good"}
	if got := auth.Seen(); !slices.Equal(got, want) {
		t.Errorf("Seen() = %q, want %q", got, want)
	}
}
