package transport_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/hostmatch"
	"github.com/tokenplug/tokenplug/internal/sourcetest"
	"github.com/tokenplug/tokenplug/transport"
)

func TestHostScopingAgainstARealServer(t *testing.T) {
	rec := newRecorder(t, false, nil)
	port := rec.URL[strings.LastIndex(rec.URL, ":")+1:]
	tests := []struct {
		name     string
		url      string // request URL
		patterns []string
		want     bool // token sent
	}{
		{"every host", rec.URL, []string{"*"}, true},
		{"host without port: any port", rec.URL, []string{"127.0.0.1"}, true},
		{"host with the right port", rec.URL, []string{"127.0.0.1:" + port}, true},
		{"host with another port", rec.URL, []string{"127.0.0.1:1"}, false},
		{"another host", rec.URL, []string{"api.example.com", "*.example.com"}, false},
		{"one of several", rec.URL, []string{"api.example.com", "127.0.0.1:" + port}, true},
		{"name, not the IP it resolves to", "http://localhost:" + port, []string{"127.0.0.1"}, false},
		{"name in any case", "http://LocalHost:" + port, []string{"localhost"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &sourcetest.Rotating{}
			tr := transport.New(rec.base(t), src, transport.WithHosts(tt.patterns...))
			before := len(rec.seen())
			do(t, tr, newRequest(t, "GET", tt.url, nil))
			got := rec.seen()[before].header.Get("Authorization")
			if sent := got != ""; sent != tt.want {
				t.Fatalf("Authorization %q; want token sent = %v", got, tt.want)
			}
			if !tt.want && src.Calls() != 0 {
				t.Errorf("source asked %d times for a request out of scope", src.Calls())
			}
		})
	}
}

// TestPatternMatching covers names that cannot be served here (no DNS): the
// transport's scoping decision is visible through the header it sets on a
// request the base RoundTripper captures instead of sending.
func TestPatternMatching(t *testing.T) {
	tests := []struct {
		pattern string
		url     string
		want    bool
	}{
		{"api.example.com", "https://api.example.com/v1", true},
		{"api.example.com", "https://API.Example.COM/v1", true},
		{"api.example.com", "https://other.example.com/v1", false},
		{"api.example.com", "https://api.example.com.evil.test/", false},
		{"api.example.com", "https://api.example.com./", true},
		{"api.example.com.", "https://api.example.com/", true},
		{"api.example.com:443", "https://api.example.com/", true},
		{"api.example.com:443", "http://api.example.com/", false},
		{"api.example.com:8443", "https://api.example.com:8443/", true},
		{"api.example.com:8443", "https://api.example.com/", false},
		{"*.example.com", "https://a.example.com/", true},
		{"*.example.com", "https://a.b.example.com/", true},
		{"*.example.com", "https://example.com/", false},
		{"*.example.com", "https://badexample.com/", false},
		{"*.example.com", "https://example.com.evil.test/", false},
		{"*.example.com", "http://[fe80::1%25.example.com]/", false},
		{"*.example.com:8443", "https://a.example.com:8443/", true},
		{"*.example.com:8443", "https://a.example.com/", false},
		{"[::1]:8443", "https://[::1]:8443/", true},
		{"::1", "https://[::1]:9/", true},
		{"127.0.0.1", "https://127.0.0.2/", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.url, func(t *testing.T) {
			var got string
			base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				got = r.Header.Get("Authorization")
				return &http.Response{StatusCode: 204, Body: http.NoBody, Request: r}, nil
			})
			tr := transport.New(base, sourcetest.Static{Tok: staticToken}, transport.WithHosts(tt.pattern))
			resp, err := tr.RoundTrip(newRequest(t, "GET", tt.url, nil))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if sent := got != ""; sent != tt.want {
				t.Errorf("token sent = %v, want %v", sent, tt.want)
			}
		})
	}
}

func TestInvalidPatternsAreRejected(t *testing.T) {
	bad := []string{
		"", "*:443", "**", "*.", "https://api.example.com", "api.example.com/v1", "*.com",
		"api.*.example.com", "*.*.example.com", "a*.example.com", "*.127.0.0.1",
		"api.example.com:0", "api.example.com:99999", "api.example.com:https",
		"api example.com", "[::1", "api.example.com:",
	}
	for _, p := range bad {
		t.Run(p, func(t *testing.T) {
			err := transport.CheckHosts("ok.example.com", p)
			if err == nil {
				t.Fatalf("CheckHosts(%q) accepted it", p)
			}
			if !strings.HasPrefix(err.Error(), "tokenplug/transport: host pattern ") || !strings.Contains(err.Error(), `"`+p+`"`) {
				t.Errorf("error %q does not name the pattern", err)
			}
		})
	}
	if err := transport.CheckHosts("api.example.com", "*.example.com", "EXAMPLE.com.", "127.0.0.1:8080", "[::1]:8443", "::1", "my_host"); err != nil {
		t.Errorf("valid patterns rejected: %v", err)
	}
}

func TestInvalidPatternFailsClosed(t *testing.T) {
	rec := newRecorder(t, false, nil)
	src := &sourcetest.Rotating{}
	tr := transport.New(rec.base(t), src, transport.WithHosts("https://api.example.com"))
	body := &closeTracker{Reader: strings.NewReader("x")}
	_, err := tr.RoundTrip(newRequest(t, "POST", rec.URL, body))
	if err == nil || !strings.Contains(err.Error(), "not a URL") {
		t.Fatalf("err = %v, want the pattern error", err)
	}
	if len(rec.seen()) != 0 || src.Calls() != 0 || !body.closed {
		t.Errorf("sent %d requests, asked the source %d times, body closed %v; want 0, 0, true",
			len(rec.seen()), src.Calls(), body.closed)
	}
}

// scopedSource reports where its tokens may go, as *host.Source does;
// with insecure, its provider allows plain http, as allow_insecure: true
// does for a *host.Source.
type scopedSource struct {
	sourcetest.Static
	hosts    []string
	insecure bool
}

func (s scopedSource) HostScope(context.Context) (*hostmatch.Scope, error) {
	m, err := hostmatch.Parse(s.hosts...)
	return hostmatch.NewScope(m, s.insecure), err
}

func TestSourceHostsApplyUnlessWithHostsIsGiven(t *testing.T) {
	rec := newRecorder(t, false, nil)
	src := scopedSource{Static: sourcetest.Static{Tok: staticToken}, hosts: []string{"127.0.0.1:1"}} // not rec's port
	tests := []struct {
		name string
		opts []transport.Option
		want bool
	}{
		{"source's hosts", nil, false},
		{"empty WithHosts keeps the source's", []transport.Option{transport.WithHosts()}, false},
		{"WithHosts replaces them", []transport.Option{transport.WithHosts(rec.host())}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(rec.seen())
			do(t, transport.New(rec.base(t), src, tt.opts...), newRequest(t, "GET", rec.URL, nil))
			if sent := rec.seen()[before].header.Get("Authorization") != ""; sent != tt.want {
				t.Errorf("token sent = %v, want %v", sent, tt.want)
			}
		})
	}
}
