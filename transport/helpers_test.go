package transport_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"golang.org/x/oauth2"
)

// seen is one request as a test server received it.
type seen struct {
	path   string
	header http.Header
	body   string
}

// recorder is a real HTTP server that records what it receives and answers
// with status(request) (200 if status is nil), or with a redirect to the
// URL in the query parameter "to".
type recorder struct {
	*httptest.Server
	mu     sync.Mutex // guards reqs
	reqs   []seen
	status func(r *http.Request) int
}

func newRecorder(t *testing.T, tls bool, status func(*http.Request) int) *recorder {
	t.Helper()
	rec := &recorder{status: status}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, seen{path: r.URL.Path, header: r.Header.Clone(), body: string(b)})
		rec.mu.Unlock()
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		code := http.StatusOK
		if rec.status != nil {
			code = rec.status(r)
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "status %d", code)
	})
	if tls {
		rec.Server = httptest.NewTLSServer(h)
	} else {
		rec.Server = httptest.NewServer(h)
	}
	t.Cleanup(rec.Close)
	return rec
}

func (rec *recorder) seen() []seen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]seen(nil), rec.reqs...)
}

// host is the server's host:port, a WithHosts pattern that matches only it.
func (rec *recorder) host() string { return rec.Listener.Addr().String() }

// base returns a fresh RoundTripper that trusts rec (its TLS certificate
// too), closed when the test ends so no connection goroutine outlives it.
func (rec *recorder) base(t *testing.T) http.RoundTripper {
	t.Helper()
	tr := rec.Client().Transport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// do sends req through rt and returns the status and body.
func do(t *testing.T, rt http.RoundTripper, req *http.Request) (int, string) {
	t.Helper()
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, string(b)
}

func newRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

var staticToken = &oauth2.Token{AccessToken: "static-token"}

// roundTripFunc is a base RoundTripper that captures requests instead of
// sending them: for host names that do not resolve here, and for measuring
// the Transport's own allocations.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
