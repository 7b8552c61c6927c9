package plugin

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// trap is another origin; it counts the requests that reach it.
func trap(t *testing.T, tlsServer bool) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) })
	srv := httptest.NewUnstartedServer(h)
	if tlsServer {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestDoRefusesARedirectToAnotherOriginWithAnyClient(t *testing.T) {
	other, hits := trap(t, false)
	first := httptest.NewServer(http.RedirectHandler(other.URL+"/x?q=1", http.StatusTemporaryRedirect))
	defer first.Close()
	own := func(*http.Request, []*http.Request) error { return nil } // follows anything
	clients := map[string]*http.Client{
		"nil":                 nil,
		"NewHTTPClient":       NewHTTPClient(0),
		"a bare client":       {},
		"a permissive policy": {CheckRedirect: own},
		"http.DefaultClient":  http.DefaultClient,
		"the server's client": first.Client(),
	}
	for name, c := range clients {
		req, _ := http.NewRequest(http.MethodPost, first.URL, strings.NewReader("apikey=s3cret"))
		req.Header.Set("X-Api-Key", "s3cret")
		_, _, err := Do(c, req, "s3cret")
		if !errors.Is(err, ErrCrossOriginRedirect) || !errors.Is(err, ErrPermanent) {
			t.Errorf("%s: err = %v, want a permanent ErrCrossOriginRedirect", name, err)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "s3cret") || strings.Contains(msg, "/x?q=1") {
			t.Errorf("%s: error %q quotes a secret or the Location's path", name, msg)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the other origin received %d requests", n)
	}
}

func TestAnHTTPSToHTTPRedirectOnTheSameHostIsRefused(t *testing.T) {
	plain, hits := trap(t, false)
	secure := httptest.NewTLSServer(http.RedirectHandler(plain.URL, http.StatusFound))
	defer secure.Close()
	c := NewHTTPClient(0)
	c.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: secure.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
	req, _ := http.NewRequest(http.MethodGet, secure.URL, nil)
	req.Header.Set("Authorization", "Bearer console-jwt")
	_, _, err := Do(c, req)
	if !errors.Is(err, ErrCrossOriginRedirect) || !strings.Contains(err.Error(), "https://127.0.0.1:") || !strings.Contains(err.Error(), "to http://127.0.0.1:") {
		t.Errorf("err = %v, want a refusal naming both origins", err)
	}
	if hits.Load() != 0 {
		t.Error("the plain http origin received the request")
	}
}

func TestSameOriginRedirectsAreFollowedAndBounded(t *testing.T) {
	var loops atomic.Int32
	mux := http.NewServeMux()
	mux.Handle("/old", http.RedirectHandler("/new", http.StatusMovedPermanently))
	mux.HandleFunc("/new", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		loops.Add(1)
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/old", nil)
	if body, _, err := Do(nil, req); err != nil || string(body) != "ok" {
		t.Errorf("same-origin redirect: %q, %v", body, err)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/loop", nil)
	if _, _, err := Do(nil, req); err == nil || loops.Load() != maxRedirects {
		t.Errorf("redirect loop: %v after %d requests, want an error after %d", err, loops.Load(), maxRedirects)
	}
}

func TestOriginComparesSchemeHostAndPort(t *testing.T) {
	same := [][2]string{
		{"https://a.example/x", "https://A.example:443/y"},
		{"http://127.0.0.1/x", "http://127.0.0.1:80/y?z"},
	}
	differ := [][2]string{
		{"https://a.example/x", "http://a.example/x"},
		{"https://a.example/x", "https://a.example:8443/x"},
		{"https://a.example/x", "https://b.example/x"},
		{"https://a.example/x", "https://a.example.evil/x"},
	}
	check := func(pair [2]string, want bool) {
		from, _ := http.NewRequest(http.MethodGet, pair[0], nil)
		to, _ := http.NewRequest(http.MethodGet, pair[1], nil)
		if got := SameOriginRedirect(to, []*http.Request{from}) == nil; got != want {
			t.Errorf("%s -> %s: allowed %v, want %v", pair[0], pair[1], got, want)
		}
	}
	for _, p := range same {
		check(p, true)
	}
	for _, p := range differ {
		check(p, false)
	}
}
