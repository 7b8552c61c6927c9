package transport_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/http/httpproxy"

	"github.com/tokenplug/tokenplug/internal/sourcetest"
	"github.com/tokenplug/tokenplug/transport"
)

// envProxied returns a base that chooses its proxy from the environment as
// http.ProxyFromEnvironment does (net/http's own rule, through the package
// it vendors), but read on every request, so that t.Setenv takes effect.
func envProxied(t *testing.T) *http.Transport {
	t.Helper()
	tr := &http.Transport{Proxy: func(r *http.Request) (*url.URL, error) {
		return httpproxy.FromEnvironment().ProxyFunc()(r.URL)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// TestLoopbackAliasesSendNoTokenThroughAProxy: "localhost.", "LOCALHOST"
// and "LocalHost." look like loopback, but net/http keeps only the exact
// "localhost" and loopback IP literals off HTTP_PROXY. Plain http carries
// the token only when the request goes to loopback with no proxy in
// between; through a proxy it would cross a network in clear. The proxy,
// a loopback server, records what would have left.
func TestLoopbackAliasesSendNoTokenThroughAProxy(t *testing.T) {
	proxy := newRecorder(t, false, nil)
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	for _, alias := range []string{"localhost.", "LOCALHOST", "LocalHost.", "LOCALHOST."} {
		t.Run(alias, func(t *testing.T) {
			src := &sourcetest.Rotating{Prefix: "clear-token-"}
			rt := transport.New(envProxied(t), src, transport.WithHosts("localhost"))
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+alias+"/x", nil)
			resp, err := rt.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
			}
			if !errors.Is(err, transport.ErrInsecure) || !strings.Contains(err.Error(), "proxy") {
				t.Errorf("RoundTrip = %v, want ErrInsecure saying a proxy is in between", err)
			}
			if n := len(proxy.seen()); n != 0 || src.Calls() != 0 {
				t.Fatalf("the proxy got %d requests; the token was asked for %d times", n, src.Calls())
			}
		})
	}
	t.Run("AllowInsecure is the opt-in, through the same proxy", func(t *testing.T) {
		rt := transport.New(envProxied(t), &sourcetest.Rotating{Prefix: "clear-token-"},
			transport.WithHosts("localhost"), transport.AllowInsecure())
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://LOCALHOST./y", nil)
		if code, _ := do(t, rt, req); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		got := proxy.seen()
		if len(got) != 1 || got[0].header.Get("Authorization") != "Bearer clear-token-1" {
			t.Fatalf("the proxy got %+v, want one request with the token", got)
		}
	})
}

// TestPlainHTTPToLoopbackNeedsADirectRoute: the exact loopback names go
// direct under HTTP_PROXY and get the token; a base whose Proxy sends even
// loopback through a proxy does not; an opaque base RoundTripper, whose
// route is unknown, gets the token only for the names net/http keeps off
// proxies (localhost, 127.0.0.0/8, ::1), never for an alias.
func TestPlainHTTPToLoopbackNeedsADirectRoute(t *testing.T) {
	api := newRecorder(t, false, nil)
	proxy := newRecorder(t, false, nil)
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	port := api.URL[strings.LastIndexByte(api.URL, ':'):]
	opaque := roundTripFunc(envProxied(t).RoundTrip)
	everything := &http.Transport{Proxy: http.ProxyURL(mustURL(t, proxy.URL))}
	t.Cleanup(everything.CloseIdleConnections)
	for _, tt := range []struct {
		name string
		base http.RoundTripper
		host string
		want bool // the token goes
	}{
		{"exact localhost under HTTP_PROXY", envProxied(t), "localhost", true},
		{"127.0.0.1 under HTTP_PROXY", envProxied(t), "127.0.0.1", true},
		{"127.0.0.1 through a Proxy that takes everything", everything, "127.0.0.1", false},
		{"exact localhost through an opaque base", opaque, "localhost", true},
		{"localhost. through an opaque base", opaque, "localhost.", false},
		{"LOCALHOST through an opaque base", opaque, "LOCALHOST", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := &sourcetest.Rotating{Prefix: "clear-token-"}
			rt := transport.New(tt.base, src, transport.WithHosts("localhost", "127.0.0.1"))
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+tt.host+port+"/z", nil)
			resp, err := rt.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
			}
			if got := err == nil && src.Calls() == 1; got != tt.want {
				t.Fatalf("RoundTrip = %v, token asked %d times; want the token to go: %v", err, src.Calls(), tt.want)
			}
			if !tt.want && !errors.Is(err, transport.ErrInsecure) {
				t.Errorf("RoundTrip = %v, want ErrInsecure", err)
			}
			if n := len(proxy.seen()); n != 0 {
				t.Fatalf("the proxy got %d requests", n)
			}
		})
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
