package main

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// credentialHeaders are masked by -v whatever provider is in use; the
// token's own header is added to them.
var credentialHeaders = []string{
	"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie",
	"Ocp-Apim-Subscription-Key", "X-Api-Key",
}

// verboseTransport prints each request it sends and each response it gets
// to w, curl -v style, with credentials masked. It sits below
// transport.Transport, so it sees the header that carries the token.
type verboseTransport struct {
	base   http.RoundTripper
	w      io.Writer
	secret []string // canonical header names whose values are masked

	mu sync.Mutex // serialises writes to w
}

func (t *verboseTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	proto := req.Proto
	if proto == "" {
		// http.Client leaves a redirect's request without one: it goes
		// out as HTTP/1.1, unless the connection negotiates HTTP/2 (the
		// response line says which).
		proto = "HTTP/1.1"
	}
	t.mu.Lock()
	fmt.Fprintf(t.w, "> %s %s %s\n> Host: %s\n", req.Method, req.URL.RequestURI(), proto, req.URL.Host)
	t.headers("> ", req.Header)
	t.mu.Unlock()
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	// The reason phrase and header values are the server's text: escaped,
	// so no terminal escape it sent reaches the user's terminal.
	fmt.Fprintf(t.w, "< %s %s\n", resp.Proto, oneLine(resp.Status))
	t.headers("< ", resp.Header)
	t.mu.Unlock()
	return resp, nil
}

func (t *verboseTransport) headers(prefix string, h http.Header) {
	for _, name := range slices.Sorted(maps.Keys(h)) {
		masked := slices.Contains(credentialHeaders, name) || slices.Contains(t.secret, name)
		for _, v := range h[name] {
			if masked {
				v = mask(v)
			}
			fmt.Fprintf(t.w, "%s%s: %s\n", prefix, name, oneLine(v))
		}
	}
	fmt.Fprintln(t.w, strings.TrimSpace(prefix))
}

// mask keeps a credential's scheme and its first 4 characters, enough to
// tell two tokens apart and never enough to use one.
func mask(v string) string {
	scheme, cred, ok := strings.Cut(v, " ")
	if !ok {
		scheme, cred = "", v
	} else {
		scheme += " "
	}
	if len(cred) > 4 {
		cred = cred[:4]
	}
	return scheme + cred + "…"
}

// verboseLogger logs at debug level to w, one "* " line per record
// without time or level, beside -v's request and response lines: the
// transport says there why a request left without the token.
func verboseLogger(w io.Writer) *slog.Logger {
	drop := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == slog.LevelKey {
			return slog.Attr{}
		}
		return a
	}
	return slog.New(slog.NewTextHandler(starWriter{w}, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: drop}))
}

// starWriter prefixes each write (a log record) with "* ", as curl -v
// marks its own remarks.
type starWriter struct{ w io.Writer }

func (s starWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(s.w, "* "); err != nil {
		return 0, err
	}
	return s.w.Write(p)
}
