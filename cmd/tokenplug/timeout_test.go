package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/emulator"
)

func TestTokenTimeoutNamesTheEndpointHostOnly(t *testing.T) {
	dir, idp, env := iamDir(t)
	idp.Faults.Set(emulator.Fault{Latency: 3 * time.Second})
	cfg := readFile(t, dir, "tokenplug.yaml")
	writeFile(t, dir, "tokenplug.yaml", strings.Replace(cfg, idp.URL, idp.URL+"/identity/token?q=SECRET-Q", 1))
	r := tp(t, dir, env, "token", "w", "--timeout", "1s", "--no-cache")
	u, _ := url.Parse(idp.URL)
	r.wantError(t, 1, `provider "w": no token within 1s: timed out waiting for `+u.Host+" (setting token_url)")
	if strings.Contains(r.stderr, "SECRET") || strings.Contains(r.stderr, "/identity") {
		t.Errorf("the error shows more than the host: %s", r.stderr)
	}
}

func TestGetTimeoutNamesTheHostOnly(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	dir := symphonyDir(t, `"127.0.0.1"`, "")
	r := tp(t, dir, nil, "get", "--timeout", "2s", slow.URL+"/path?apikey=SECRET-Q")
	u, _ := url.Parse(slow.URL)
	r.wantError(t, 1, "get: GET http://"+u.Host+": timed out waiting for the server")
	if strings.Contains(r.stderr, "SECRET") || strings.Contains(r.stderr, "/path") {
		t.Errorf("the error shows more than the host: %s", r.stderr)
	}
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGetVerbosePrintsARedirectedRequestsProtocol(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/from" {
			http.Redirect(w, r, "/to", http.StatusFound)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	dir := symphonyDir(t, `"127.0.0.1"`, "")
	r := tp(t, dir, nil, "get", "-v", srv.URL+"/from")
	if r.code != 0 || !strings.Contains(r.stderr, "> GET /from HTTP/1.1\n") || !strings.Contains(r.stderr, "> GET /to HTTP/1.1\n") {
		t.Errorf("status %d, stderr:\n%s", r.code, r.stderr)
	}
}

// Issue 30 item 7: localhost is not 127.0.0.1. A redirect from a host in
// scope to one that is not leaves without the token, and -v says so,
// naming the host and the provider's hosts, not the path or query.
func TestGetVerboseSaysWhyATokenWasNotSent(t *testing.T) {
	var port string
	var gotAuth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/from" {
			http.Redirect(w, r, "http://localhost:"+port+"/to?k=SECRET-Q", http.StatusFound)
			return
		}
		gotAuth.Store(r.Header.Get("Authorization"))
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	port = srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	dir := symphonyDir(t, `"127.0.0.1"`, "")
	r := tp(t, dir, nil, "get", "-v", srv.URL+"/from")
	want := `* msg="tokenplug/transport: request sent without a token: its host is not among the provider's hosts" provider=sym host=http://localhost:` + port + " hosts=127.0.0.1\n"
	if r.code != 0 || !strings.Contains(r.stderr, want) {
		t.Errorf("status %d; stderr lacks %q:\n%s", r.code, want, r.stderr)
	}
	if a, _ := gotAuth.Load().(string); a != "" {
		t.Errorf("the token went to localhost: %q", a)
	}
}
