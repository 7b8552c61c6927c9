package benchmarks_test

import (
	"log/slog"
	"testing"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// BenchmarkCachedTokenByProvider asks each kind of built-in provider for
// its valid cached token. The cached path is the host's (host.Source: an
// atomic load and a time comparison), whatever the provider behind it, so
// provider=oauth2 costs what provider=iam and provider=symphony cost.
func BenchmarkCachedTokenByProvider(b *testing.B) {
	iam := emulator.StartIAM()
	b.Cleanup(iam.Close)
	iam.AddAPIKey("bench-iam-key")
	as := emulator.StartOAuth2()
	b.Cleanup(as.Close)
	if err := as.AddClient(emulator.OAuth2Client{ID: "bench", Secret: "bench-secret"}); err != nil {
		b.Fatal(err)
	}
	configs := []struct {
		name string
		cfg  host.ProviderConfig
	}{
		{"iam", host.ProviderConfig{Path: testbin.Path("iam"), Hosts: []string{"127.0.0.1"},
			Settings: map[string]string{"apikey": "bench-iam-key", "token_url": iam.URL + "/identity/token"}}},
		{"oauth2", host.ProviderConfig{Path: testbin.Path("oauth2"), Hosts: []string{"127.0.0.1"},
			Settings: map[string]string{"token_url": as.TokenURL(), "client_id": "bench", "client_secret": "bench-secret"}}},
		{"symphony", providerConfig("symphony")},
	}
	ctx := b.Context()
	for _, c := range configs {
		reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)))
		b.Cleanup(func() { reg.Close() })
		if err := reg.Register(c.name, c.cfg); err != nil {
			b.Fatal(err)
		}
		src, err := reg.Source(c.name)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := src.Token(ctx); err != nil {
			b.Fatalf("%s: %v", c.name, err)
		}
		serialAndParallel(b, "tokenplug/provider="+c.name, func() { mustToken(b)(src.Token(ctx)) })
	}
}
