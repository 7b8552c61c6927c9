package transport_test

import (
	"net/http"
	"testing"

	"github.com/tokenplug/tokenplug/hostmatch"
	"github.com/tokenplug/tokenplug/internal/sourcetest"
	"github.com/tokenplug/tokenplug/transport"
)

// nopBase answers every request at once, so that only the Transport's own
// work is measured.
var nopBase = roundTripFunc(func(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: r}, nil
})

// The hot path costs the request clone and the header value, nothing else.
// The bound counts what req.Clone allocates (request, URL, header map and
// its value slices) plus the token header's value slice: the header value
// itself is built once per token, not per request. It catches a lock, a
// closure or a per-request string creeping in. The side-by-side benchmarks
// against oauth2.Transport are in internal/benchmarks.
func TestHotPathAllocations(t *testing.T) {
	const maxAllocs = 6 // measured 6 with Go 1.26 for a request with one header of its own
	tr := transport.New(nopBase, sourcetest.Static{Tok: staticToken}, transport.WithHosts("api.example.com", "*.example.org"))
	req := newRequest(t, "GET", "https://api.example.com/v1/things", nil)
	req.Header.Set("Accept", "application/json")
	tokened := testing.AllocsPerRun(100, func() { tr.RoundTrip(req) })
	bare := testing.AllocsPerRun(100, func() { nopBase.RoundTrip(req) })
	t.Logf("allocations per request: %v through the Transport, %v without", tokened, bare)
	if tokened-bare > maxAllocs {
		t.Errorf("Transport allocates %v times per request, want at most %d", tokened-bare, maxAllocs)
	}
	out := newRequest(t, "GET", "https://elsewhere.example.net/", nil)
	if n := testing.AllocsPerRun(100, func() { tr.RoundTrip(out) }) - bare; n != 0 {
		t.Errorf("a request out of scope costs %v allocations, want 0", n)
	}

	// The scope a source publishes (as a described host.Source does) and
	// the plain-http loopback check cost nothing more.
	m, err := hostmatch.Parse("api.example.com", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	scoped := transport.New(nopBase, sourcetest.NewPublished(staticToken, hostmatch.NewScope(m, false)))
	for _, url := range []string{"https://api.example.com/v1/things", "http://127.0.0.1:8080/v1/things"} {
		req := newRequest(t, "GET", url, nil)
		req.Header.Set("Accept", "application/json")
		n := testing.AllocsPerRun(100, func() { scoped.RoundTrip(req) }) - testing.AllocsPerRun(100, func() { nopBase.RoundTrip(req) })
		if n > maxAllocs {
			t.Errorf("%s through a source's scope: %v allocations per request, want at most %d", url, n, maxAllocs)
		}
	}
}
