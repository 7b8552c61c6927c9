package grpccreds_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/grpccreds"
	"github.com/tokenplug/tokenplug/internal/grpctest"
)

var errTest = errors.New("test failure")

// registry mimics host.Registry: Source returns a concrete type, adapted
// with LookupFunc.
type registry map[string]*source

func (r registry) Source(name string) (*source, error) {
	if s, ok := r[name]; ok {
		return s, nil
	}
	return nil, errors.New("tokenplug/host: no provider " + name)
}

func TestWithProviderPicksAnotherProviderForOneCall(t *testing.T) {
	def, other := newSource("watson", "w"), newSource("azure", "a")
	reg := registry{"watson": def, "azure": other}
	lookup := grpccreds.LookupFunc(func(name string) (grpccreds.TokenSource, error) { return reg.Source(name) })
	auth := rejecting("Bearer a1") // also shows retries invalidate the chosen provider
	srv := startServer(t, grpctest.Config{Auth: auth})
	client := dial(t, srv, grpccreds.New(def, grpccreds.WithLookup(lookup)))

	if err := check(grpccreds.WithProvider(t.Context(), "azure"), client); err != nil {
		t.Fatalf("Check with azure: %v", err)
	}
	if err := check(t.Context(), client); err != nil {
		t.Fatalf("Check with default: %v", err)
	}
	if got, want := auth.Seen(), []string{"Bearer a1", "Bearer a2", "Bearer w1"}; !slices.Equal(got, want) {
		t.Errorf("server saw %q, want %q", got, want)
	}
	if inv := other.Invalidated(); !slices.Equal(inv, []string{"a1"}) {
		t.Errorf("azure invalidated %q, want [a1]", inv)
	}
	if inv := def.Invalidated(); len(inv) != 0 {
		t.Errorf("watson invalidated %q, want nothing", inv)
	}
}

func TestWithProviderUnknownNameIsUnauthenticated(t *testing.T) {
	reg := registry{}
	tests := []struct {
		name string
		opts []grpccreds.Option
	}{
		{"not in lookup", []grpccreds.Option{grpccreds.WithLookup(grpccreds.LookupFunc(
			func(name string) (grpccreds.TokenSource, error) { return reg.Source(name) }))}},
		{"lookup returns nil", []grpccreds.Option{grpccreds.WithLookup(grpccreds.LookupFunc(
			func(string) (grpccreds.TokenSource, error) { return nil, nil }))}},
		{"no lookup", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := rejecting()
			srv := startServer(t, grpctest.Config{Auth: auth})
			def := newSource("watson", "w")
			client := dial(t, srv, grpccreds.New(def, tt.opts...))

			err := check(grpccreds.WithProvider(t.Context(), "nope"), client)
			if status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), `provider "nope"`) {
				t.Fatalf("Check error %v; want Unauthenticated naming provider \"nope\"", err)
			}
			if !errors.Is(err, tokenplug.ErrConfig) {
				t.Errorf("errors.Is(err, tokenplug.ErrConfig) = false for %v", err)
			}
			if n := def.Fetches(); n != 0 || len(auth.Seen()) != 0 {
				t.Errorf("default source fetched %d, server saw %d calls; want 0 and 0", n, len(auth.Seen()))
			}
		})
	}
}
