package benchmarks_test

import (
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/internal/sourcetest"
	"github.com/tokenplug/tokenplug/transport"
)

// memBase answers every request in memory, so that only the auth layer in
// front of it is measured. It allocates a fresh Response, as a real
// RoundTripper does; both sides pay for it.
type memBase struct{}

func (memBase) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: r}, nil
}

// BenchmarkRoundTrip sends a request through an auth RoundTripper holding a
// valid cached token:
//
//   - impl=oauth2: oauth2.Transport over oauth2.ReuseTokenSource, the
//     standard way (a mutex per call).
//   - impl=tokenplug: transport.New over a real *host.Source (fault plugin,
//     token cached), what a tokenplug user runs.
//   - impl=tokenplug-static: transport.New over a source that returns a
//     fixed token: the Transport alone.
func BenchmarkRoundTrip(b *testing.B) {
	_, src := warmSource(b, "fault", "api.example.com")
	tok := &oauth2.Token{AccessToken: "tok-1", TokenType: "bearer", Expiry: time.Now().Add(time.Hour)}
	impls := []struct {
		name string
		wrap func(base http.RoundTripper) http.RoundTripper
	}{
		{"oauth2", func(base http.RoundTripper) http.RoundTripper {
			return &oauth2.Transport{Base: base, Source: oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(tok))}
		}},
		{"tokenplug", func(base http.RoundTripper) http.RoundTripper { return transport.New(base, src) }},
		{"tokenplug-static", func(base http.RoundTripper) http.RoundTripper {
			return transport.New(base, sourcetest.Static{Tok: tok}, transport.WithHosts("api.example.com"))
		}},
	}
	req, err := http.NewRequest("GET", "https://api.example.com/v1/things", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	for _, impl := range impls {
		checkAuthorized(b, impl.name, impl.wrap, req)
		rt := impl.wrap(memBase{})
		serialAndParallel(b, impl.name, func() { rt.RoundTrip(req) })
	}
}

// checkAuthorized fails b unless the RoundTripper wrap makes puts a bearer
// token on req: a benchmark of one that skipped the token would measure
// nothing.
func checkAuthorized(b *testing.B, name string, wrap func(http.RoundTripper) http.RoundTripper, req *http.Request) {
	b.Helper()
	var got string
	rt := wrap(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = r.Header.Get("Authorization")
		return memBase{}.RoundTrip(r)
	}))
	if _, err := rt.RoundTrip(req); err != nil || got != "Bearer tok-1" {
		b.Fatalf("%s sent Authorization %q (error %v), want the cached bearer token", name, got, err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
