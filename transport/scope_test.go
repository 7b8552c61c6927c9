package transport_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/hostmatch"
	"github.com/tokenplug/tokenplug/internal/sourcetest"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/transport"
)

// nameBase returns a RoundTripper that dials rec whatever host a request
// names: "api.example.test" stands for a remote host, but the connection
// never leaves loopback.
func (rec *recorder) nameBase(t *testing.T) http.RoundTripper {
	t.Helper()
	tr := rec.base(t).(*http.Transport)
	addr := rec.host()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return tr
}

// port is rec's port, for URLs that name another host.
func (rec *recorder) port() string { return rec.URL[strings.LastIndex(rec.URL, ":")+1:] }

func TestAProviderWithoutHostsFailsClosed(t *testing.T) {
	rec := newRecorder(t, false, nil)
	tests := []struct {
		name string
		src  transport.TokenSource
	}{
		{"a source that knows no hosts, without WithHosts", &sourcetest.Rotating{}},
		{"a source whose scope is empty", scopedSource{Static: sourcetest.Static{Tok: staticToken}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := transport.New(rec.base(t), tt.src, transport.WithName("watson"))
			body := &closeTracker{Reader: strings.NewReader("x")}
			_, err := tr.RoundTrip(newRequest(t, "POST", rec.URL, body))
			if !errors.Is(err, hostmatch.ErrNoHosts) || !strings.Contains(err.Error(), `"watson"`) || !strings.Contains(err.Error(), "configure its hosts") {
				t.Fatalf("err = %v, want ErrNoHosts naming the provider and what to do", err)
			}
			if len(rec.seen()) != 0 || !body.closed {
				t.Errorf("sent %d requests, body closed %v; want 0, true", len(rec.seen()), body.closed)
			}
			if rs, ok := tt.src.(*sourcetest.Rotating); ok && rs.Calls() != 0 {
				t.Errorf("source asked %d times", rs.Calls())
			}
		})
	}
}

func TestPlainHTTPToARemoteHostIsRefused(t *testing.T) {
	rec := newRecorder(t, false, nil)
	port := rec.port()
	remote := "http://api.example.test:" + port + "/v1"
	tests := []struct {
		name string
		url  string
		src  transport.TokenSource
		opts []transport.Option
		want bool // sent with a token; else refused, nothing sent
	}{
		{"remote host", remote, &sourcetest.Rotating{}, nil, false},
		{"remote host, scheme in capitals", "HTTP://api.example.test:" + port + "/", &sourcetest.Rotating{}, nil, false},
		{"remote host with AllowInsecure", remote, &sourcetest.Rotating{}, []transport.Option{transport.AllowInsecure()}, true},
		{"remote host, provider allows it", remote, scopedSource{Static: sourcetest.Static{Tok: staticToken}, hosts: []string{"api.example.test"}, insecure: true}, nil, true},
		{"127.0.0.1", "http://127.0.0.1:" + port + "/", &sourcetest.Rotating{}, nil, true},
		{"127.9.9.9", "http://127.9.9.9:" + port + "/", &sourcetest.Rotating{}, nil, true},
		{"localhost", "http://localhost:" + port + "/", &sourcetest.Rotating{}, nil, true},
		{"::1", "http://[::1]:" + port + "/", &sourcetest.Rotating{}, nil, true},
		{"a name that looks loopback", "http://127.0.0.1.example.test:" + port + "/", &sourcetest.Rotating{}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]transport.Option{transport.WithName("watson")}, tt.opts...)
			if _, ok := tt.src.(scopedSource); !ok {
				opts = append(opts, transport.WithHosts("*"))
			}
			tr := transport.New(rec.nameBase(t), tt.src, opts...)
			before := len(rec.seen())
			resp, err := tr.RoundTrip(newRequest(t, "GET", tt.url, nil))
			if !tt.want {
				if !errors.Is(err, transport.ErrInsecure) || !strings.Contains(err.Error(), `"watson"`) || !strings.Contains(err.Error(), `.example.test"`) {
					t.Fatalf("err = %v, want ErrInsecure naming the provider and the host", err)
				}
				if len(rec.seen()) != before {
					t.Error("the request was sent")
				}
				if rs, ok := tt.src.(*sourcetest.Rotating); ok && rs.Calls() != 0 {
					t.Errorf("source asked %d times before refusing", rs.Calls())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if h := rec.seen()[before].header.Get("Authorization"); h == "" {
				t.Error("no token sent")
			}
		})
	}
}

func TestEveryRedirectHopIsCheckedForPlainHTTP(t *testing.T) {
	rec := newRecorder(t, false, nil)
	port := rec.port()
	local := "http://127.0.0.1:" + port
	remote := "http://api.example.test:" + port
	tr := transport.New(rec.nameBase(t), &sourcetest.Rotating{}, transport.WithHosts("127.0.0.1", "api.example.test"))
	before := len(rec.seen())
	resp, err := (&http.Client{Transport: tr}).Get(local + "/go?to=" + remote + "/landed")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	got := rec.seen()[before:]
	if len(got) != 2 || got[0].header.Get("Authorization") == "" || got[1].header.Get("Authorization") != "" {
		t.Fatalf("want the loopback hop with a token and the plain http hop to a remote host without; saw %d requests", len(got))
	}

	// Opted in, a remote chain on one origin keeps the token on every hop;
	// without the opt-in its first hop is refused.
	for _, opts := range [][]transport.Option{{transport.AllowInsecure()}, nil} {
		tr := transport.New(rec.nameBase(t), &sourcetest.Rotating{}, append(opts, transport.WithHosts("api.example.test"))...)
		before := len(rec.seen())
		resp, err := (&http.Client{Transport: tr}).Get(remote + "/go?to=" + remote + "/final")
		if len(opts) == 0 {
			if !errors.Is(err, transport.ErrInsecure) || len(rec.seen()) != before {
				t.Errorf("without AllowInsecure: err %v, %d requests sent; want ErrInsecure, none", err, len(rec.seen())-before)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for i, s := range rec.seen()[before:] {
			if s.header.Get("Authorization") == "" {
				t.Errorf("hop %d of a same-origin chain lost the token", i)
			}
		}
	}
}

func TestNilSourcesFailClosedWithoutPanicking(t *testing.T) {
	unknown := sourcetest.Unknown(t)
	var nilSource *host.Source
	tests := map[string]transport.TokenSource{
		"nil":                          nil,
		"nil *host.Source":             nilSource,
		"Registry.Source's nil result": unknown,
		"FromOAuth2(nil)":              transport.FromOAuth2(nil),
		"FromOAuth2 of a nil pointer":  transport.FromOAuth2((*sourcetest.OAuth2)(nil)),
	}
	rec := newRecorder(t, false, nil)
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			tr := transport.New(rec.base(t), src, transport.WithHosts("*"))
			for range 2 {
				_, err := tr.RoundTrip(newRequest(t, "GET", rec.URL, nil))
				if err == nil || !strings.Contains(err.Error(), "nil TokenSource") {
					t.Fatalf("err = %v, want the nil source error", err)
				}
			}
		})
	}
	if len(rec.seen()) != 0 {
		t.Errorf("sent %d requests", len(rec.seen()))
	}
}

// TestPluginDefaultHostsScopeTheTransport runs real plugins: symphony
// declares *.symphony.com, fault declares nothing (as a third-party plugin
// may). The Transport learns the default hosts from the plugin, configured
// hosts replace them, and a provider with neither fails every request.
func TestPluginDefaultHostsScopeTheTransport(t *testing.T) {
	rec := newRecorder(t, false, nil)
	port := rec.port()
	reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)))
	defer reg.Close()
	symphony := host.ProviderConfig{Path: testbin.Path("symphony"), AllowInsecure: true,
		Settings: map[string]string{"private_key": newKeyPEM(t), "public_key_name": "demo"}}
	defaults := sourcetest.Register(t, reg, "symphony-defaults", symphony)
	symphony.Hosts = []string{"127.0.0.1"}
	configured := sourcetest.Register(t, reg, "symphony-configured", symphony)
	noHosts := sourcetest.Register(t, reg, "fault-no-hosts", host.ProviderConfig{Path: testbin.Path("fault")})
	faultScoped := sourcetest.Register(t, reg, "fault-scoped", host.ProviderConfig{Path: testbin.Path("fault"), Hosts: []string{"127.0.0.1"}})

	tests := []struct {
		name string
		src  *host.Source
		url  string
		want bool // token sent
	}{
		{"default host", defaults, "http://acme.symphony.com:" + port + "/", true},
		{"outside the default hosts", defaults, "http://127.0.0.1:" + port + "/", false},
		{"configured hosts replace the defaults", configured, "http://acme.symphony.com:" + port + "/", false},
		{"configured host", configured, "http://127.0.0.1:" + port + "/", true},
		{"a plugin without default hosts, hosts configured", faultScoped, "http://127.0.0.1:" + port + "/", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(rec.seen())
			do(t, transport.New(rec.nameBase(t), tt.src), newRequest(t, "GET", tt.url, nil))
			if sent := rec.seen()[before].header.Get("Authorization") != ""; sent != tt.want {
				t.Errorf("token sent = %v, want %v", sent, tt.want)
			}
		})
	}
	t.Run("a plugin without default hosts, none configured", func(t *testing.T) {
		before := len(rec.seen())
		_, err := transport.New(rec.nameBase(t), noHosts).RoundTrip(newRequest(t, "GET", rec.URL, nil))
		if !errors.Is(err, hostmatch.ErrNoHosts) || !strings.Contains(err.Error(), `"fault-no-hosts"`) {
			t.Fatalf("err = %v, want ErrNoHosts naming the provider", err)
		}
		if len(rec.seen()) != before {
			t.Error("the request was sent")
		}
	})
}

// TestAzureDefaultHostsFollowTheConfiguredCloud runs the azure plugin with
// no hosts configured (key mode: the subscription key is the credential):
// a public-cloud provider's key goes to the public cloud's hosts only,
// never to Azure Government's or Azure China's, and an Azure Government
// provider's the other way round. Each host name stands for the vendor's;
// every connection goes to the loopback recorder.
func TestAzureDefaultHostsFollowTheConfiguredCloud(t *testing.T) {
	rec := newRecorder(t, false, nil)
	reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)))
	defer reg.Close()
	azureIn := func(cloud string) *host.Source {
		return sourcetest.Register(t, reg, "azure-"+cloud, host.ProviderConfig{Path: testbin.Path("azure"), AllowInsecure: true,
			Settings: map[string]string{"subscription_key": "KEY-" + cloud, "mode": "key", "cloud": cloud}})
	}
	public, usgov := azureIn("public"), azureIn("usgov")
	tests := []struct {
		name string
		src  *host.Source
		host string
		want string // the key sent; "" none
	}{
		{"public to a public Speech host", public, "westus.stt.speech.microsoft.com", "KEY-public"},
		{"public to a public resource", public, "res.cognitiveservices.azure.com", "KEY-public"},
		{"public to Azure Government", public, "usgovvirginia.stt.speech.azure.us", ""},
		{"public to an Azure Government resource", public, "res.cognitiveservices.azure.us", ""},
		{"public to Azure China", public, "chinaeast2.api.cognitive.azure.cn", ""},
		{"usgov to Azure Government", usgov, "usgovvirginia.stt.speech.azure.us", "KEY-usgov"},
		{"usgov to the public cloud", usgov, "westus.stt.speech.microsoft.com", ""},
		{"usgov to Azure China", usgov, "chinaeast2.stt.speech.azure.cn", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(rec.seen())
			do(t, transport.New(rec.nameBase(t), tt.src), newRequest(t, "GET", "http://"+tt.host+":"+rec.port()+"/", nil))
			if got := rec.seen()[before].header.Get("Ocp-Apim-Subscription-Key"); got != tt.want {
				t.Errorf("key sent %q, want %q", got, tt.want)
			}
		})
	}
}
