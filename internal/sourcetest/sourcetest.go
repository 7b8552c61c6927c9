// Package sourcetest has token sources for the transport and grpccreds
// tests: host sources registered from a plugin binary, and the nil
// sources that transport.New and grpccreds.New must refuse without
// panicking.
package sourcetest

import (
	"log/slog"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/host"
)

// Unknown returns what Registry.Source returns for a provider that was
// never registered: a nil *host.Source, beside an error. It fails the
// test if Source returns anything else.
func Unknown(t testing.TB) *host.Source {
	t.Helper()
	reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)))
	defer reg.Close()
	src, err := reg.Source("missing")
	if err == nil || src != nil {
		t.Fatalf("Source(missing) = %v, %v", src, err)
	}
	return src
}

// OAuth2 is an oauth2.TokenSource whose nil pointer panics if used:
// (*OAuth2)(nil) stands for a caller's nil oauth2 source.
type OAuth2 struct{ tok *oauth2.Token }

// Token returns the token it holds; on a nil *OAuth2 it panics.
func (s *OAuth2) Token() (*oauth2.Token, error) { return s.tok, nil }

// Register registers name with cfg in reg and returns its source,
// failing the test on any error.
func Register(t testing.TB, reg *host.Registry, name string, cfg host.ProviderConfig) *host.Source {
	t.Helper()
	if err := reg.Register(name, cfg); err != nil {
		t.Fatal(err)
	}
	src, err := reg.Source(name)
	if err != nil {
		t.Fatal(err)
	}
	return src
}
