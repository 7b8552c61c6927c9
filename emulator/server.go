package emulator

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
)

// loopback is the HTTP server a Start function runs an emulator on. The
// zero loopback is not serving: its URL is empty and close does nothing.
type loopback struct {
	srv *httptest.Server
}

// start serves h on a fresh port of 127.0.0.1 and returns the base URL
// ("http://127.0.0.1:<port>", no trailing slash). It never listens on
// another interface, so nothing off the machine can reach an emulator. It
// panics if it cannot listen, as httptest.NewServer does: a test cannot go
// on without its server.
func (l *loopback) start(h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("emulator: listen on 127.0.0.1: %v", err))
	}
	l.srv = httptest.NewUnstartedServer(h)
	_ = l.srv.Listener.Close() // httptest's own; replaced by one that is 127.0.0.1 only
	l.srv.Listener = ln
	l.srv.Start()
	return l.srv.URL
}

// close shuts the server down and waits for the requests in flight, as
// httptest.Server.Close does. It does nothing if start was never called.
func (l *loopback) close() {
	if l.srv != nil {
		l.srv.Close()
	}
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header (the scheme in any case, RFC 6750's one or more spaces before the
// token), or "" if the request has none.
func bearerToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
