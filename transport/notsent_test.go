package transport_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/internal/sourcetest"
	"github.com/tokenplug/tokenplug/transport"
)

// Issue 30 item 7: a request sent without the token because its host is
// not in scope is logged at debug level, once per host, naming the
// provider and its hosts, never the path or query. localhost is not
// 127.0.0.1: hosts match names as written.
func TestARequestSentWithoutTheTokenIsLoggedOncePerHost(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tr := transport.New(nopBase, sourcetest.Static{Tok: staticToken}, transport.WithName("acme"),
		transport.WithHosts("localhost"), transport.WithLogger(logger))
	for range 3 {
		do(t, tr, newRequest(t, "GET", "http://127.0.0.1:8080/v1/things?key=Kq8Vm3Xr7Tb2", nil))
	}
	do(t, tr, newRequest(t, "GET", "http://localhost:8080/v1/things", nil))                 // in scope: no log
	do(t, tr, newRequest(t, "GET", "https://alice:pa55w0rd-Zx9@api.other.example/v2", nil)) // userinfo is no part of the host
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logged %d lines, want one per host out of scope:\n%s", len(lines), logs.String())
	}
	for i, host := range []string{"http://127.0.0.1:8080", "https://api.other.example"} {
		for _, want := range []string{"level=DEBUG", "request sent without a token: its host is not among the provider's hosts",
			"provider=acme", "host=" + host, "hosts=localhost"} {
			if !strings.Contains(lines[i], want) {
				t.Errorf("line %d %q lacks %q", i, lines[i], want)
			}
		}
	}
	if strings.Contains(logs.String(), "/v1") || strings.Contains(logs.String(), "Kq8Vm3Xr7Tb2") || strings.Contains(logs.String(), "pa55w0rd") {
		t.Errorf("the log names a path, a query or a password: %s", logs.String())
	}
}

// Past 256 distinct hosts the Transport forgets no more and logs at most
// once a minute: requests to endless hosts cannot grow its memory nor
// flood the log.
func TestRequestsToEndlessHostsAreLoggedAtAMeasuredRate(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tr := transport.New(nopBase, sourcetest.Static{Tok: staticToken}, transport.WithHosts("api.example.com"), transport.WithLogger(logger))
	for i := range 300 {
		do(t, tr, newRequest(t, "GET", "https://h"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26))+".example.net/", nil))
	}
	if n := strings.Count(logs.String(), "\n"); n != 257 {
		t.Errorf("logged %d lines for 300 hosts, want 256 and then one", n)
	}
}

// With the default logger at its default level nothing is logged, and an
// out-of-scope request still costs nothing (see TestHotPathAllocations).
func TestNothingIsLoggedBelowTheLoggersLevel(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	tr := transport.New(nopBase, sourcetest.Static{Tok: staticToken}, transport.WithHosts("api.example.com"), transport.WithLogger(logger))
	do(t, tr, newRequest(t, "GET", "https://elsewhere.example.net/", nil))
	if logs.Len() != 0 {
		t.Errorf("logged at info level: %s", logs.String())
	}
}
