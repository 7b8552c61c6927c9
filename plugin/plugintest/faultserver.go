package plugintest

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokenplug/tokenplug/plugin"
)

// faultServer serves an upstream on loopback and answers with a fault
// instead while one is set.
type faultServer struct {
	*httptest.Server
	upstream http.Handler
	done     chan struct{}    // closed when the test ends: Hang faults return
	trap     *httptest.Server // another origin, where Redirect faults point
	hits     atomic.Int32     // requests the trap received

	seen requestLog // every request the upstream received

	mu      sync.Mutex // guards fault and secrets
	fault   *Fault
	secrets []string // echoed by Echo faults
}

func newFaultServer(t tb, upstream http.Handler) *faultServer {
	if upstream == nil {
		t.Fatalf("plugintest: Upstream.Handler is nil")
	}
	s := &faultServer{upstream: upstream, done: make(chan struct{})}
	s.Server = httptest.NewServer(s)
	s.trap = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.hits.Add(1)
		_, _ = io.WriteString(w, `{"access_token":"from-the-other-origin","expires_in":3600}`)
	}))
	t.Cleanup(func() {
		close(s.done)
		s.Close()
		s.trap.Close()
	})
	return s
}

// abort ends every request the server is answering, and every
// connection: what a fetch the kit gave up on is stuck in.
func (s *faultServer) abort() { s.CloseClientConnections() }

func (s *faultServer) echoSecrets(secrets []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets = secrets
}

// checkSecretFlags reports each setting not marked Secret that a request
// the server received carried as a credential.
func (s *faultServer) checkSecretFlags(t tb, d plugin.Description, settings map[string]string) {
	t.Helper()
	t.run("settings sent as credentials are marked Secret", func(t tb) {
		t.Helper()
		t.Helper()
		checkSecretFlags(t, d, settings, s.seen.all())
	})
}

// checkTrap reports requests that reached the other origin.
func (s *faultServer) checkTrap(r reporter) {
	r.Helper()
	if n := s.hits.Swap(0); n > 0 {
		r.Errorf("the other origin a redirect pointed to received %d requests: credentials may have gone with them", n)
	}
}

func (s *faultServer) set(f *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

func (s *faultServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.seen.add(r)
	s.mu.Lock()
	f, secrets := s.fault, s.secrets
	s.mu.Unlock()
	if f == nil || f.Settings != nil { // a Settings fault injects nothing
		s.upstream.ServeHTTP(w, r)
		return
	}
	if f.Hang {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	}
	if f.Redirect != 0 {
		http.Redirect(w, r, s.trap.URL+r.URL.Path, f.Redirect)
		return
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter/time.Second)))
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(cmp.Or(f.Status, http.StatusOK))
	body := f.Body
	if f.Echo {
		body = echo(r, secrets)
	}
	_, _ = io.WriteString(w, body)
	if f.Size > 0 {
		_, _ = io.CopyN(w, zeros{}, int64(f.Size))
	}
}

// echo is an error page that repeats the request: every header, the body,
// the given secrets, and enough padding that a message quoting all of it
// is too long.
func echo(r *http.Request, secrets []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "error: you sent %s %s", r.Method, r.URL)
	for _, k := range slices.Sorted(maps.Keys(r.Header)) {
		fmt.Fprintf(&b, " %s: %s;", k, strings.Join(r.Header[k], ", "))
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	fmt.Fprintf(&b, " body %s; secrets %s; %s", body, strings.Join(secrets, " "), strings.Repeat("padding ", MaxErrorLen/8))
	return b.String()
}

// zeros reads as an endless run of '0'.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}
