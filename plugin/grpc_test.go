package plugin

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"golang.org/x/oauth2"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tokenplug/tokenplug/internal/grpctest"
	"github.com/tokenplug/tokenplug/internal/wire"
)

// stubProvider is a provider whose Configure and Token do what a test says.
type stubProvider struct {
	configure func(map[string]string) (oauth2.TokenSource, error)
}

func (stubProvider) Describe() Description {
	return Description{Name: "stub", Version: "0.0.1", Settings: []Setting{
		{Key: "api_key", Required: true, Secret: true},
		{Key: "mode", Default: "normal"},
	}, DefaultHosts: []string{"api.stub.test", "*.stub.test"}}
}

func (p stubProvider) Configure(_ context.Context, s map[string]string) (oauth2.TokenSource, error) {
	return p.configure(s)
}

// tokenFunc is a ContextTokenSource made of a function.
type tokenFunc func(context.Context) (*oauth2.Token, error)

func (f tokenFunc) Token() (*oauth2.Token, error)                           { return f(context.Background()) }
func (f tokenFunc) TokenContext(ctx context.Context) (*oauth2.Token, error) { return f(ctx) }

// dial serves p over real gRPC with TLS on 127.0.0.1 and returns the host's
// client for it, as go-plugin would hand it out.
func dial(t *testing.T, p Provider) *client {
	t.Helper()
	gp := &wire.Plugin{Provider: newServer(p)}
	srv, err := grpctest.Start(grpctest.Config{Register: func(s *grpc.Server) {
		if err := gp.GRPCServer(nil, s); err != nil {
			t.Fatal(err)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.Health().SetServingStatus(goplugin.GRPCServiceName, healthpb.HealthCheckResponse_SERVING)
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(srv.ClientCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c, err := gp.GRPCClient(context.Background(), nil, conn)
	if err != nil {
		t.Fatal(err)
	}
	return c.(*client)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestTokenRoundTripKeepsHeaderRefreshAtAndExpiry(t *testing.T) {
	expiry := time.UnixMilli(time.Now().Add(time.Hour).UnixMilli()) // the wire has milliseconds
	refresh := expiry.Add(-10 * time.Minute)
	tests := map[string]*oauth2.Token{
		"bearer with expiry": {AccessToken: "a", TokenType: "Bearer", Expiry: expiry},
		"no expiry":          {AccessToken: "b", TokenType: "Bearer"},
		"raw header and refresh hint": WithRefreshAt(WithHeader(
			&oauth2.Token{AccessToken: "c", Expiry: expiry}, "Ocp-Apim-Subscription-Key"), refresh),
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			c := dial(t, stubProvider{configure: func(map[string]string) (oauth2.TokenSource, error) {
				return oauth2.StaticTokenSource(want), nil
			}})
			if err := c.Configure(ctx(t), map[string]string{"api_key": "k"}); err != nil {
				t.Fatal(err)
			}
			got, err := c.Token(ctx(t), false)
			if err != nil {
				t.Fatal(err)
			}
			if got.AccessToken != want.AccessToken || got.TokenType != want.TokenType || !got.Expiry.Equal(want.Expiry) ||
				HeaderOf(got) != HeaderOf(want) || !RefreshAtOf(got).Equal(RefreshAtOf(want)) {
				t.Fatalf("got %+v header %q refresh %v; want %+v header %q refresh %v",
					got, HeaderOf(got), RefreshAtOf(got), want, HeaderOf(want), RefreshAtOf(want))
			}
		})
	}
}

func TestWithHeaderAndWithRefreshAtKeepEachOther(t *testing.T) {
	at := time.Now()
	tok := WithHeader(WithRefreshAt(&oauth2.Token{AccessToken: "x"}, at), "X-Key")
	if HeaderOf(tok) != "X-Key" || !RefreshAtOf(tok).Equal(at) {
		t.Fatalf("header %q refresh %v", HeaderOf(tok), RefreshAtOf(tok))
	}
	if plain := (&oauth2.Token{AccessToken: "x"}); HeaderOf(plain) != "" || !RefreshAtOf(plain).IsZero() {
		t.Fatal("a plain token has extras")
	}
}

func TestConfigureAppliesTheSchemaAndReturnsSettingErrorsByKey(t *testing.T) {
	var got map[string]string
	c := dial(t, stubProvider{configure: func(s map[string]string) (oauth2.TokenSource, error) {
		got = s
		if s["mode"] != "normal" && s["mode"] != "fast" {
			return nil, errors.Join(Errorf("mode", "not normal or fast"), SettingError{Key: "api_key", Message: "does not fit mode"})
		}
		return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}), nil
	}})
	if err := c.Configure(ctx(t), map[string]string{"api_key": "k"}); err != nil || got["mode"] != "normal" {
		t.Fatalf("defaults: %v, provider saw %v", err, got)
	}
	for name, tt := range map[string]struct {
		settings map[string]string
		keys     []string
	}{
		"missing required":         {map[string]string{}, []string{"api_key"}},
		"undeclared key":           {map[string]string{"api_key": "k", "extra": "x"}, []string{"extra"}},
		"provider's joined errors": {map[string]string{"api_key": "k", "mode": "slow"}, []string{"mode", "api_key"}},
	} {
		err := c.Configure(ctx(t), tt.settings)
		var se SettingErrors
		if !errors.As(err, &se) {
			t.Errorf("%s: %v, want SettingErrors", name, err)
			continue
		}
		var keys []string
		for _, e := range se {
			keys = append(keys, e.Key)
		}
		if !slices.Equal(keys, tt.keys) {
			t.Errorf("%s: keys %v, want %v", name, keys, tt.keys)
		}
	}
}

// narrowingProvider is a stubProvider that gives each configuration "mode"
// narrow the default host *.stub.test (HostsForSettings).
type narrowingProvider struct{ stubProvider }

func (narrowingProvider) DefaultHostsFor(s map[string]string) []string {
	if s["mode"] == "narrow" {
		return []string{"*.stub.test"}
	}
	return nil
}

// A provider that implements HostsForSettings gives each configuration's
// default hosts in the Configure answer, computed from the settings with
// defaults applied; one that does not, or a configuration that failed,
// gives none (the host then uses Describe's).
func TestConfigureAnswersWithTheConfigurationsDefaultHosts(t *testing.T) {
	accept := func(s map[string]string) (oauth2.TokenSource, error) {
		if s["api_key"] == "bad" {
			return nil, Errorf("api_key", "rejected")
		}
		return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}), nil
	}
	narrowing := dial(t, narrowingProvider{stubProvider{configure: accept}})
	plain := dial(t, stubProvider{configure: accept})
	tests := []struct {
		name     string
		c        *client
		settings map[string]string
		want     []string
		wantErr  bool
	}{
		{"narrowed", narrowing, map[string]string{"api_key": "k", "mode": "narrow"}, []string{"*.stub.test"}, false},
		{"not narrowed", narrowing, map[string]string{"api_key": "k"}, nil, false},
		{"rejected", narrowing, map[string]string{"api_key": "bad", "mode": "narrow"}, nil, true},
		{"a provider without HostsForSettings", plain, map[string]string{"api_key": "k", "mode": "narrow"}, nil, false},
	}
	for _, tt := range tests {
		for _, newInstance := range []bool{false, true} {
			_, hosts, err := tt.c.ConfigureInstance(ctx(t), tt.settings, newInstance)
			if (err != nil) != tt.wantErr || !slices.Equal(hosts, tt.want) {
				t.Errorf("%s (new instance %v): %q, %v; want %q", tt.name, newInstance, hosts, err, tt.want)
			}
		}
	}
}

func TestTokenBeforeConfigureIsAConfigurationError(t *testing.T) {
	c := dial(t, stubProvider{})
	if _, err := c.Token(ctx(t), false); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "stub: not configured") {
		t.Fatalf("got %v", err)
	}
}

func TestTokenErrorsKeepTheirClassAcrossTheConnection(t *testing.T) {
	c := dial(t, stubProvider{configure: func(map[string]string) (oauth2.TokenSource, error) {
		return tokenFunc(func(context.Context) (*oauth2.Token, error) {
			return nil, RateLimited(errors.New("upstream returned 429"), 9*time.Second)
		}), nil
	}})
	if err := c.Configure(ctx(t), map[string]string{"api_key": "k"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Token(ctx(t), false)
	if !errors.Is(err, ErrRateLimited) || RetryAfterOf(err) != 9*time.Second {
		t.Fatalf("got %v (retry-after %v)", err, RetryAfterOf(err))
	}
}

func TestTheHostsDeadlineReachesTheTokenSource(t *testing.T) {
	c := dial(t, stubProvider{configure: func(map[string]string) (oauth2.TokenSource, error) {
		return tokenFunc(func(ctx context.Context) (*oauth2.Token, error) {
			<-ctx.Done() // an upstream that never answers
			return nil, ctx.Err()
		}), nil
	}})
	if err := c.Configure(ctx(t), map[string]string{"api_key": "k"}); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Token(short, false); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a deadline error", err)
	}
}

func TestAProviderPanicBecomesAnErrorAndThePluginKeepsServing(t *testing.T) {
	calls := 0
	c := dial(t, stubProvider{configure: func(s map[string]string) (oauth2.TokenSource, error) {
		if s["mode"] == "fast" {
			panic("configure exploded")
		}
		return tokenFunc(func(context.Context) (*oauth2.Token, error) {
			if calls++; calls == 1 {
				var s []int
				_ = s[calls] // an index out of range: a real runtime panic
			}
			return &oauth2.Token{AccessToken: "after"}, nil
		}), nil
	}})
	checkFailsThenServes(t, c, "provider panicked: configure exploded", "provider panicked: runtime error: index out of range")
	if tok, err := c.Token(ctx(t), false); err != nil || tok.AccessToken != "after" {
		t.Fatalf("after the panic: %v, %v", tok, err)
	}
	if err := c.Ping(ctx(t)); err != nil {
		t.Fatalf("ping after the panic: %v", err)
	}
}

func TestAnEmptyTokenOrNoSourceIsAnError(t *testing.T) {
	c := dial(t, stubProvider{configure: func(s map[string]string) (oauth2.TokenSource, error) {
		if s["mode"] == "fast" {
			return nil, nil
		}
		return oauth2.StaticTokenSource(&oauth2.Token{}), nil
	}})
	checkFailsThenServes(t, c, "returned no token source", "returned no token")
}

// checkFailsThenServes configures c with mode fast, which the provider
// fails at, then without, and fetches a token, which the provider fails at
// too: each failure must be an error saying configureSays, tokenSays, and
// the plugin must still take the second Configure.
func checkFailsThenServes(t *testing.T, c *client, configureSays, tokenSays string) {
	t.Helper()
	if err := c.Configure(ctx(t), map[string]string{"api_key": "k", "mode": "fast"}); err == nil || !strings.Contains(err.Error(), configureSays) {
		t.Fatalf("configure: %v, want an error saying %q", err, configureSays)
	}
	if err := c.Configure(ctx(t), map[string]string{"api_key": "k"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Token(ctx(t), false); err == nil || !strings.Contains(err.Error(), tokenSays) {
		t.Fatalf("token: %v, want an error saying %q", err, tokenSays)
	}
}

func TestDescribeCrossesTheWire(t *testing.T) {
	c := dial(t, stubProvider{})
	d, err := c.Describe(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := stubProvider{}.Describe()
	if d.Name != want.Name || d.Version != want.Version || !slices.Equal(d.Settings, want.Settings) ||
		!slices.Equal(d.DefaultHosts, want.DefaultHosts) {
		t.Fatalf("got %+v, want %+v", d, want)
	}
}
