package grpccreds_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/tokenplug/tokenplug/grpccreds"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/hostmatch"
	"github.com/tokenplug/tokenplug/internal/grpctest"
	"github.com/tokenplug/tokenplug/internal/sourcetest"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// dialAs connects to s under another name: the channel's authority is
// authority, but every connection goes to s on loopback. It stands for a
// server on another host. The test server's certificate names only
// loopback, so this TLS client skips verification: the channel still has
// privacy and integrity, which is all the credentials check besides the
// authority.
func dialAs(t *testing.T, s *grpctest.Server, authority string, creds credentials.PerRPCCredentials) healthpb.HealthClient {
	t.Helper()
	addr := s.Addr()
	conn, err := grpc.NewClient("passthrough:///"+authority,
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		}),
		grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})),
		grpc.WithPerRPCCredentials(creds),
		grpc.WithChainUnaryInterceptor(grpccreds.UnaryClientInterceptor()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return healthpb.NewHealthClient(conn)
}

// wantRefused checks that err is the credentials' refusal to send a token
// to authority, naming the provider, and that nothing reached the server.
func wantRefused(t *testing.T, err error, provider, authority string, auth *grpctest.Auth) {
	t.Helper()
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), `provider "`+provider+`"`) ||
		!strings.Contains(err.Error(), `"`+authority+`"`) {
		t.Fatalf("error %v; want PermissionDenied naming provider %q and authority %q", err, provider, authority)
	}
	if !errors.Is(err, grpccreds.ErrOutOfScope) {
		t.Errorf("errors.Is(err, ErrOutOfScope) = false for %v", err)
	}
	if n := len(auth.Seen()); n != 0 {
		t.Errorf("server saw %d calls", n)
	}
}

func TestTokenGoesOnlyToTheProvidersHosts(t *testing.T) {
	tests := []struct {
		name      string
		hosts     []string
		authority string // with the server's port appended
		want      bool
	}{
		{"the provider's host", []string{"api.example.test"}, "api.example.test", true},
		{"a wildcard", []string{"*.example.test"}, "a.b.example.test", true},
		{"another host", []string{"api.example.test"}, "evil.test", false},
		{"a lookalike", []string{"api.example.test"}, "api.example.test.evil.test", false},
		{"the right host on another port", []string{"api.example.test:443"}, "api.example.test", false},
		{"the IP, not the name", []string{"127.0.0.1"}, "localhost", false},
		{"every host", []string{"*"}, "evil.test", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := rejecting()
			srv := startServer(t, grpctest.Config{Auth: auth})
			authority := tt.authority + srv.Addr()[strings.LastIndex(srv.Addr(), ":"):]
			src := newSource("watson", "t")
			src.hosts = tt.hosts
			err := check(t.Context(), dialAs(t, srv, authority, grpccreds.New(src)))
			if tt.want {
				if err != nil || len(auth.Seen()) != 1 {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			wantRefused(t, err, "watson", authority, auth)
			if n := src.Fetches(); n != 0 {
				t.Errorf("source fetched %d tokens before refusing, want 0", n)
			}
		})
	}
}

func TestWithHostsReplacesTheSourcesHosts(t *testing.T) {
	auth := rejecting()
	srv := startServer(t, grpctest.Config{Auth: auth})
	src := newSource("watson", "t") // its own hosts: 127.0.0.1
	err := check(t.Context(), dial(t, srv, grpccreds.New(src, grpccreds.WithHosts("api.example.test"))))
	wantRefused(t, err, "watson", srv.Addr(), auth)
}

func TestWithProviderCannotSendATokenOutsideItsProvidersHosts(t *testing.T) {
	def, other := newSource("watson", "w"), newSource("azure", "a")
	other.hosts = []string{"*.cognitiveservices.azure.com"}
	reg := registry{"watson": def, "azure": other}
	lookup := grpccreds.LookupFunc(func(name string) (grpccreds.TokenSource, error) { return reg.Source(name) })
	auth := rejecting()
	srv := startServer(t, grpctest.Config{Auth: auth})
	// WithHosts("*") widens the default provider only: azure keeps its own.
	client := dial(t, srv, grpccreds.New(def, grpccreds.WithLookup(lookup), grpccreds.WithHosts("*")))

	err := check(grpccreds.WithProvider(t.Context(), "azure"), client)
	wantRefused(t, err, "azure", srv.Addr(), auth)
	if n := other.Fetches(); n != 0 {
		t.Errorf("azure fetched %d tokens, want 0", n)
	}
	if err := check(t.Context(), client); err != nil {
		t.Errorf("the default provider, in scope: %v", err)
	}
}

func TestCredentialsWithoutHostsFailEveryRPC(t *testing.T) {
	auth := rejecting()
	srv := startServer(t, grpctest.Config{Auth: auth})
	tests := map[string]grpccreds.TokenSource{
		"a source that knows no hosts": grpccreds.FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"})),
		"a source with an empty scope": &source{Rotating: &sourcetest.Rotating{Provider: "watson", Prefix: "t"}, hosts: []string{}},
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			err := check(t.Context(), dial(t, srv, grpccreds.New(src, grpccreds.WithName("watson"))))
			if status.Code(err) != codes.PermissionDenied || !errors.Is(err, hostmatch.ErrNoHosts) ||
				!strings.Contains(err.Error(), `provider "watson"`) || !strings.Contains(err.Error(), "configure its hosts") {
				t.Fatalf("error %v; want PermissionDenied, ErrNoHosts, naming the provider and what to do", err)
			}
		})
	}
	if len(auth.Seen()) != 0 {
		t.Errorf("server saw %d calls", len(auth.Seen()))
	}
}

func TestNilSourcesFailEveryRPCWithoutPanicking(t *testing.T) {
	unknown := sourcetest.Unknown(t)
	var nilSource *host.Source
	auth := rejecting()
	srv := startServer(t, grpctest.Config{Auth: auth})
	tests := []struct {
		name     string
		creds    *grpccreds.PerRPC
		provider string // named in the error, if set
	}{
		{"nil", grpccreds.New(nil, grpccreds.WithHosts("*")), ""},
		{"nil, WithName", grpccreds.New(nil, grpccreds.WithName("watson"), grpccreds.WithHosts("*")), "watson"},
		{"nil *host.Source", grpccreds.New(nilSource, grpccreds.WithHosts("*")), ""},
		{"Registry.Source's nil result", grpccreds.New(unknown), ""},
		{"FromOAuth2(nil)", grpccreds.New(grpccreds.FromOAuth2(nil), grpccreds.WithHosts("*")), ""},
		{"FromOAuth2 of a nil pointer", grpccreds.New(grpccreds.FromOAuth2((*sourcetest.OAuth2)(nil)), grpccreds.WithHosts("*")), ""},
		{"a Lookup's nil *host.Source", grpccreds.New(newSource("watson", "w"), grpccreds.WithLookup(grpccreds.LookupFunc(
			func(string) (grpccreds.TokenSource, error) { return nilSource, nil }))), "watson"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := dial(t, srv, tt.creds)
			for range 2 {
				err := check(grpccreds.WithProvider(t.Context(), "watson"), client)
				if tt.name != "a Lookup's nil *host.Source" {
					err = check(t.Context(), client)
				}
				if status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), "no token source") {
					t.Fatalf("error %v; want Unauthenticated: no token source", err)
				}
				if tt.provider != "" && !strings.Contains(err.Error(), `provider "`+tt.provider+`"`) {
					t.Fatalf("error %v does not name provider %q", err, tt.provider)
				}
			}
		})
	}
	if len(auth.Seen()) != 0 {
		t.Errorf("server saw %d calls", len(auth.Seen()))
	}
}

// TestPluginDefaultHostsScopeTheCredentials runs real plugins over a real
// TLS server: symphony declares *.symphony.com, so its token does not go to
// 127.0.0.1 unless configured; fault declares no hosts, as a third-party
// plugin may, and works once hosts are configured.
func TestPluginDefaultHostsScopeTheCredentials(t *testing.T) {
	auth := rejecting()
	srv := startServer(t, grpctest.Config{Auth: auth})
	port := srv.Addr()[strings.LastIndex(srv.Addr(), ":")+1:]
	reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)))
	defer reg.Close()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	symphony := sourcetest.Register(t, reg, "symphony", host.ProviderConfig{Path: testbin.Path("symphony"),
		Settings: map[string]string{"private_key": keyPEM, "public_key_name": "demo"}})
	fault := sourcetest.Register(t, reg, "fault", host.ProviderConfig{Path: testbin.Path("fault"), Hosts: []string{"127.0.0.1"}})
	faultNoHosts := sourcetest.Register(t, reg, "fault-no-hosts", host.ProviderConfig{Path: testbin.Path("fault")})

	wantRefused(t, check(t.Context(), dial(t, srv, grpccreds.New(symphony))), "symphony", srv.Addr(), auth)
	if err := check(t.Context(), dialAs(t, srv, "acme.symphony.com:"+port, grpccreds.New(symphony))); err != nil {
		t.Errorf("symphony to one of its default hosts: %v", err)
	}
	if err := check(t.Context(), dial(t, srv, grpccreds.New(fault))); err != nil {
		t.Errorf("a plugin without default hosts, hosts configured: %v", err)
	}
	err = check(t.Context(), dial(t, srv, grpccreds.New(faultNoHosts)))
	if status.Code(err) != codes.PermissionDenied || !errors.Is(err, hostmatch.ErrNoHosts) || !strings.Contains(err.Error(), `"fault-no-hosts"`) {
		t.Errorf("a plugin without default hosts, none configured: %v; want PermissionDenied, ErrNoHosts", err)
	}
	if got := len(auth.Seen()); got != 2 {
		t.Errorf("server saw %d calls, want 2", got)
	}
}

// TestAzureDefaultHostsFollowTheConfiguredCloud runs the azure plugin with
// no hosts configured (key mode: the subscription key is the credential):
// a public-cloud provider's key goes to a public-cloud authority and is
// refused, before any fetch, for an Azure Government one; an Azure
// Government provider's the other way round.
func TestAzureDefaultHostsFollowTheConfiguredCloud(t *testing.T) {
	reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)))
	defer reg.Close()
	for _, tt := range []struct {
		cloud, home, elsewhere string
	}{
		{"public", "westus.stt.speech.microsoft.com", "usgovvirginia.stt.speech.azure.us"},
		{"usgov", "usgovvirginia.stt.speech.azure.us", "res.cognitiveservices.azure.com"},
	} {
		t.Run(tt.cloud, func(t *testing.T) {
			auth := &grpctest.Auth{Header: "ocp-apim-subscription-key", Accept: func(v string) bool { return v == "KEY-"+tt.cloud }}
			srv := startServer(t, grpctest.Config{Auth: auth})
			port := srv.Addr()[strings.LastIndex(srv.Addr(), ":"):]
			src := sourcetest.Register(t, reg, "azure-"+tt.cloud, host.ProviderConfig{Path: testbin.Path("azure"),
				Settings: map[string]string{"subscription_key": "KEY-" + tt.cloud, "mode": "key", "cloud": tt.cloud}})
			wantRefused(t, check(t.Context(), dialAs(t, srv, tt.elsewhere+port, grpccreds.New(src))), "azure-"+tt.cloud, tt.elsewhere+port, auth)
			if err := check(t.Context(), dialAs(t, srv, tt.home+port, grpccreds.New(src))); err != nil || len(auth.Seen()) != 1 {
				t.Errorf("to %s, in its cloud: %v, server saw %d calls", tt.home, err, len(auth.Seen()))
			}
		})
	}
}
