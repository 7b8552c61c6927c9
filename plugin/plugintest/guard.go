package plugintest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/internal/netguard"
	"github.com/tokenplug/tokenplug/plugin"
)

// The kit never lets a provider reach a real vendor: a default URL, or a
// setting the test forgot, must not send a signed request to production,
// nor a DNS lookup of the vendor's host off the machine.
//
//   - In-process (RunProvider, RunFaults), the SDK's clients
//     (plugin.NewHTTPClient, plugin.Do with a nil client) refuse, while the
//     kit runs, every dial that is not to loopback, before any lookup; the
//     client the kit hands to Upstream.WithClient always does.
//   - Through the host (Run), the plugin runs with HTTP_PROXY and
//     HTTPS_PROXY pointing at a loopback proxy of the kit's that refuses
//     everything: Go, like most HTTP stacks, sends loopback requests
//     directly and every other one to the proxy, without looking its name
//     up, so the proxy learns the host the plugin tried.
//
// Either way the check fails naming the host it tried.

// escapeFix is what the kit tells an author whose provider left loopback.
const escapeFix = "point every URL setting at a local emulator (a default URL is used when the test leaves the setting out)"

// guardedClient returns an http.Client that reaches loopback only, with
// timeout as its overall deadline (0: none), and no redirect policy of its
// own: the provider must apply plugin.SameOriginRedirect.
func guardedClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = netguard.Restrict(tr.DialContext, func(string) {})
	return &http.Client{Transport: tr, Timeout: timeout}
}

// netWatch is an in-process watch: while it lasts, the SDK's clients reach
// loopback only.
type netWatch struct{ w *netguard.Watcher }

func watchNet(t tb) *netWatch {
	w := netguard.Watch()
	t.Cleanup(w.Stop)
	return &netWatch{w}
}

// check reports each address a provider tried to leave loopback for.
func (n *netWatch) check(t reporter) {
	t.Helper()
	for _, addr := range dedup(n.w.Take()) {
		t.Errorf("the provider tried to reach %s, which is not loopback; the kit refused it before any DNS lookup: %s", addr, escapeFix)
	}
}

// refusingProxy is an HTTP proxy on loopback that refuses every request
// and records the host each asked for.
type refusingProxy struct {
	*httptest.Server
	mu    sync.Mutex // guards hosts
	hosts []string
}

func newRefusingProxy(t tb) *refusingProxy {
	p := &refusingProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host // CONNECT host:port for https; the URL's host for http
		if r.Method != http.MethodConnect && r.URL.Host != "" {
			host = r.URL.Host
		}
		if _, _, err := net.SplitHostPort(host); err != nil {
			host = net.JoinHostPort(host, map[bool]string{true: "443", false: "80"}[r.Method == http.MethodConnect])
		}
		p.mu.Lock()
		p.hosts = append(p.hosts, host)
		p.mu.Unlock()
		http.Error(w, "tokenplug/plugintest: refused", http.StatusForbidden)
	}))
	t.Cleanup(p.Close)
	return p
}

// env is the environment that sends a plugin's requests that are not to
// loopback to the proxy, overriding any proxy settings inherited.
func (p *refusingProxy) env() []string {
	var env []string
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		env = append(env, k+"="+p.URL)
	}
	return append(env, "NO_PROXY=", "no_proxy=")
}

// check reports each host a plugin asked the proxy for.
func (p *refusingProxy) check(t reporter) {
	t.Helper()
	p.mu.Lock()
	hosts := p.hosts
	p.hosts = nil
	p.mu.Unlock()
	for _, h := range dedup(hosts) {
		t.Errorf("the plugin tried to reach %s, which is not loopback; the kit's proxy refused it: %s", h, escapeFix)
	}
}

func dedup(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// urlLike reports whether a setting holds a URL the provider sends
// requests (and credentials) to: its key ends in _url, or its default is
// an http(s) URL.
func urlLike(s plugin.Setting) bool {
	d := strings.ToLower(s.Default)
	return strings.HasSuffix(s.Key, "_url") || s.Key == "url" || strings.HasPrefix(d, "https://") || strings.HasPrefix(d, "http://")
}

// plainHTTP is a plain-http URL to a host that is not loopback, which a URL
// setting must refuse (plugin.URL); .invalid never resolves (RFC 2606).
const plainHTTP = "http://vendor.invalid/token"

// checkURLSettings configures p with each URL-like setting set to a plain
// http URL to another host, and reports each that is accepted and used: a
// provider that parses with url.Parse would send credentials in clear. A
// configuration that accepts the URL but fetches a token without it (a
// mode that does not use the setting) passes. The fetch runs under nw, so
// an SDK client's request to the URL is refused before any lookup.
func checkURLSettings(t tb, p plugin.Provider, desc plugin.Description, settings map[string]string, nw *netWatch) {
	t.Helper()
	for _, s := range desc.Settings {
		if !urlLike(s) {
			continue
		}
		changed := withoutKey(settings, s.Key)
		if changed == nil {
			changed = map[string]string{}
		}
		changed[s.Key] = plainHTTP
		ts, err := configureBounded(p, changed)
		if err != nil {
			if !slices.Contains(settingKeys(err), s.Key) {
				t.Errorf("setting %q set to %s: Configure's error names settings %q, want %q among them", s.Key, plainHTTP, settingKeys(err), s.Key)
			}
			continue
		}
		_, err, ok := fetchBounded(t, ts, fetchTimeout, nil)
		tried := nw.w.Take()
		if ok && (err != nil || len(tried) > 0) {
			t.Errorf("setting %q accepted %s (plain http to a host that is not loopback): parse it with plugin.URL, which names the key in a SettingError", s.Key, plainHTTP)
		}
	}
}

// configureBounded configures p as a host does, with a context ending
// after fetchTimeout, and waits at most overrun past it; a panic is an
// error.
func configureBounded(p plugin.Provider, settings map[string]string) (oauth2.TokenSource, error) {
	type res struct {
		ts  oauth2.TokenSource
		err error
	}
	ch := make(chan res, 1)
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	go func() {
		defer cancel()
		var r res
		defer func() {
			if v := recover(); v != nil {
				r.err = fmt.Errorf("plugintest: Configure panicked: %v", v)
			}
			ch <- r
		}()
		r.ts, r.err = Configure(ctx, p, settings)
	}()
	timer := time.NewTimer(fetchTimeout + overrun)
	defer timer.Stop()
	select {
	case r := <-ch:
		return r.ts, r.err
	case <-timer.C:
		return nil, fmt.Errorf("plugintest: Configure did not return within %v of its context's deadline: %s", overrun, fixContext)
	}
}
