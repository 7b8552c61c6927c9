package transport_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tokenplug/tokenplug/internal/sourcetest"
	"github.com/tokenplug/tokenplug/transport"
)

// FuzzCheckHosts checks host pattern parsing: no panic, and every
// rejection an error that quotes the pattern and says what is wrong.
// An accepted pattern matches its own host (for a wildcard, a name one
// label below it) and no name outside it.
func FuzzCheckHosts(f *testing.F) {
	for _, s := range hostPatternSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		err := transport.CheckHosts(pattern)
		if err != nil {
			prefix := "tokenplug/transport: host pattern " + strconv.Quote(pattern) + ": "
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || len(msg) == len(prefix) {
				t.Fatalf("CheckHosts(%q) = %q, want %q and a reason", pattern, msg, prefix)
			}
			return
		}
		host, port, wildcard := modelPattern(pattern)
		self := host
		if wildcard {
			self = "a." + host
		}
		u := &url.URL{Scheme: "https", Host: joinHostPort(self, port)}
		if ok, err := transport.MatchHosts([]string{pattern}, u); err != nil || !ok {
			t.Fatalf("MatchHosts(%q, %s) = %v, %v; want a match", pattern, u, ok, err)
		}
		if wildcard {
			u.Host = joinHostPort(host, port)
			if ok, _ := transport.MatchHosts([]string{pattern}, u); ok {
				t.Fatalf("wildcard %q matches %s itself", pattern, u)
			}
		}
	})
}

// TestCheckHostsRejectsFuzzFinds: patterns FuzzCheckHosts found accepted
// although they name no host. strconv.Atoi accepts "+443", but no URL has
// that port, so the pattern silently matched nothing; empty labels let
// "*.com.." pass the top-level-domain check.
func TestCheckHostsRejectsFuzzFinds(t *testing.T) {
	for p, want := range map[string]string{
		"api.example.com:+443": "port must be a number from 1 to 65535",
		"[::1]:+8080":          "port must be a number from 1 to 65535",
		"..":                   "empty label",
		"*.com..":              "empty label",
		"a..example.com":       "empty label",
		".example.com":         "empty label",
		"*..example.com":       "empty label",
	} {
		if err := transport.CheckHosts(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckHosts(%q) = %v, want %q", p, err, want)
		}
	}
}

// FuzzMatchHosts sends a request to an arbitrary URL through a Transport
// scoped to an arbitrary pattern. The token must reach the server only if
// the URL's host is the pattern's host, or for a wildcard a name under it
// (case-insensitively, ignoring one trailing dot), on the pattern's port if
// it has one; and the source is asked for a token only then. A "name"
// here is any URL host: the base RoundTripper carries every request to one
// loopback test server, whatever the URL says.
func FuzzMatchHosts(f *testing.F) {
	for i, p := range hostPatternSeeds {
		f.Add(p, hostURLSeeds[i%len(hostURLSeeds)])
	}
	f.Add("*.example.com", "https://a.example.com.:443/")
	f.Add("*.example.com", "https://example.com/")
	f.Add("*.example.com", "https://a.example.com%2eevil.test/")
	f.Add("*.example.com", "http://[fe80::1%25.example.com]/")
	f.Add("api.example.com:8443", "https://API.example.com:8443/x")
	f.Add("api.example.com", "https://api.example.com@evil.test/")
	f.Add("127.0.0.1", "http://127.0.0.1:80/")
	f.Add("[::1]:8080", "http://[::1]:8080/")
	f.Add("api.example.com", "wss://api.example.com/ws")
	f.Add("*.example.com", "https://api..example.com/")
	f.Add("*.example.com", "https://.api.example.com/")
	f.Add("api.example.com", "https://api.example.com../")
	f.Add("*", "https://a..b/")
	f.Add("*.0.0.1", "http://127.0.0.1/")
	f.Add("*.example.0x1", "http://a.example.0x1/")

	srv, got := tokenRecorder(f)
	f.Fuzz(func(t *testing.T, pattern, rawURL string) {
		u, err := url.Parse(rawURL)
		if err != nil || len(rawURL) > 1024 {
			t.Skip()
		}
		matched, err := transport.MatchHosts([]string{pattern}, u)
		if (err != nil) != (transport.CheckHosts(pattern) != nil) {
			t.Fatalf("MatchHosts and CheckHosts disagree on %q: %v", pattern, err)
		}
		// A match the documented rule does not allow would leak the token.
		// The converse may only fail closed, for names that are not ASCII
		// (the code compares suffixes of equal byte length).
		if want := modelMatch(pattern, u); err == nil && matched != want && (matched || isASCII(u.Hostname())) {
			t.Fatalf("MatchHosts(%q, %q) = %v, want %v", pattern, rawURL, matched, want)
		}
		src := &sourcetest.Rotating{Prefix: "fuzz-token-"}
		rt := transport.New(srv, src, transport.WithHosts(pattern))
		req := &http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}}
		got.Store(false)
		resp, rtErr := rt.RoundTrip(req.WithContext(context.Background()))
		if resp != nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		switch {
		case err != nil && (rtErr == nil || src.Calls() != 0 || got.Load()):
			t.Fatalf("invalid pattern %q: RoundTrip = %v, token asked %d times, sent %v; want it to fail closed", pattern, rtErr, src.Calls(), got.Load())
		case err == nil && !matched && (src.Calls() != 0 || got.Load()):
			t.Fatalf("pattern %q, URL %q: token asked %d times, sent %v; want neither", pattern, rawURL, src.Calls(), got.Load())
		case err == nil && matched && rtErr == nil && !got.Load():
			t.Fatalf("pattern %q, URL %q: in scope but the token did not arrive", pattern, rawURL)
		}
	})
}

var hostPatternSeeds = []string{
	"api.example.com", "API.Example.COM.", "api.example.com:8443", "*.example.com", "*.example.com:443",
	"*.com", "*", "*.", "", ".", "a..b", "*.*.example.com", "a.*.example.com", "127.0.0.1", "127.0.0.1:8080",
	"*.127.0.0.1", "::1", "[::1]", "[::1]:8080", "[::1]:", "fe80::1%eth0", "[fe80::1%25eth0]:1", "a:0", "a:08",
	"a:65536", "a:-1", "a:+1", "https://api.example.com", "api.example.com/x", "xn--bcher-kva.example",
	"b\u00fccher.example", "under_score.test", "a b", "a:1:2", "[a.test]", "[a.test]:1", "*.a\x00.test",
}

var hostURLSeeds = []string{
	"https://api.example.com/", "http://API.EXAMPLE.COM./x", "https://api.example.com:8443/",
	"https://a.example.com/", "https://a.b.example.com:443/", "https://evilexample.com/", "https://127.0.0.1:8080/",
	"http://[::1]:8080/", "http://localhost/", "https://a.example.com.evil.test/", "//api.example.com/",
	"api.example.com", "https://:443/", "https://xn--bcher-kva.example/",
}

// modelPattern splits a valid pattern the way the WithHosts doc describes:
// host lower case without a trailing dot, brackets dropped, optional port,
// "*." prefix for a wildcard.
func modelPattern(pattern string) (host, port string, wildcard bool) {
	host = pattern
	switch {
	case strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]"):
		host = host[1 : len(host)-1]
	case strings.HasPrefix(host, "[") || strings.Count(host, ":") == 1:
		host, port, _ = net.SplitHostPort(host)
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	host, wildcard = strings.CutPrefix(host, "*.")
	return host, port, wildcard
}

// modelMatch is the documented rule, written independently of the code:
// names compare case-insensitively (as strings.EqualFold), one trailing dot
// ignored, a name with an empty label matches nothing; a wildcard covers
// names with at least one more label, never an IP literal (IPv6, or a
// last label that is a number as URL parsers read IPv4).
func modelMatch(pattern string, u *url.URL) bool {
	name := strings.TrimSuffix(u.Hostname(), ".")
	if slices.Contains(strings.Split(name, "."), "") {
		return false // an empty label, or a second trailing dot: no host
	}
	if pattern == "*" {
		return true // where "*" is a valid pattern, it stands for every host
	}
	host, port, wildcard := modelPattern(pattern)
	if port != "" {
		p := u.Port()
		if p == "" {
			p = map[string]string{"https": "443", "wss": "443", "http": "80", "ws": "80"}[strings.ToLower(u.Scheme)]
		}
		if p != port {
			return false
		}
	}
	if !wildcard {
		return strings.EqualFold(name, host)
	}
	labels := strings.Split(name, ".")
	if last := strings.ToLower(labels[len(labels)-1]); strings.ContainsAny(name, ":%") || isNumber(last) {
		return false // an IP literal, never under a wildcard
	}
	for i := 1; i < len(name); i++ {
		if name[i] == '.' && strings.EqualFold(name[i+1:], host) {
			return true
		}
	}
	return false
}

// isNumber reports whether label (lower case) is a decimal or 0x-hex
// number, as the WHATWG URL parser reads an IPv4 part.
func isNumber(label string) bool {
	digits := "0123456789"
	if hex, ok := strings.CutPrefix(label, "0x"); ok {
		label, digits = "0"+hex, "0123456789abcdef"
	}
	return label != "" && !strings.ContainsFunc(label, func(r rune) bool { return !strings.ContainsRune(digits, r) })
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func joinHostPort(host, port string) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" {
		return host
	}
	return host + ":" + port
}

// tokenRecorder starts a loopback server that sets got when a request
// carries the token, and returns a base RoundTripper that sends every
// request there, over plain HTTP, whatever its URL.
func tokenRecorder(f *testing.F) (http.RoundTripper, *atomic.Bool) {
	got := &atomic.Bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer fuzz-token-1" {
			got.Store(true)
		}
	}))
	f.Cleanup(srv.Close)
	tr := srv.Client().Transport.(*http.Transport).Clone()
	f.Cleanup(tr.CloseIdleConnections)
	addr := srv.Listener.Addr().String()
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r2 := r.Clone(r.Context())
		r2.URL = &url.URL{Scheme: "http", Host: addr, Path: "/"}
		r2.Host = ""
		return tr.RoundTrip(r2)
	}), got
}
