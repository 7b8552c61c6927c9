package transport

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/internal/authheader"
)

// Transport is an http.RoundTripper that adds a token from a TokenSource to
// requests bound for its hosts, then sends them with a base RoundTripper.
//
// A Transport is safe for concurrent use by multiple goroutines. It is
// immutable after New, takes no lock, and keeps no token: each request asks
// the source, which caches. It only remembers the header it built for the
// last token, so that a cached token's header is not rebuilt per request.
type Transport struct {
	base  http.RoundTripper
	src   TokenSource
	inv   Invalidator // src, if it can invalidate; else nil (no 401 retry)
	name  string      // provider name for errors
	hosts []hostPattern
	err   error                         // invalid configuration: every RoundTrip returns it
	hdr   authheader.Cache[tokenHeader] // the last token's header, built once per token
}

// tokenHeader is the header that carries a token.
type tokenHeader struct{ name, value string }

func headerFor(tok *oauth2.Token) tokenHeader {
	name, value := authheader.For(tok)
	return tokenHeader{http.CanonicalHeaderKey(name), value}
}

// New returns a Transport that adds tokens from src to requests and sends
// them with base, or http.DefaultTransport if base is nil.
//
// The hosts are those given WithHosts or, without any, those of src's
// Hosts() []string method if it has one (a *host.Source returns the hosts
// configured for its provider); with neither, every host is in scope.
//
// New does not fail: if src is nil or a host pattern is invalid, the
// Transport fails closed, returning that error from every RoundTrip without
// sending anything (see [CheckHosts]).
func New(base http.RoundTripper, src TokenSource, opts ...Option) *Transport {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	t := &Transport{base: base, src: src, name: o.name}
	t.inv, _ = src.(Invalidator)
	if n, ok := src.(namer); ok && t.name == "" {
		t.name = n.Name()
	}
	if t.name == "" {
		t.name = "token source"
	}
	if h, ok := src.(hoster); ok && len(o.hosts) == 0 {
		o.hosts = h.Hosts()
	}
	if t.hosts, t.err = parseHosts(o.hosts); t.err != nil {
		t.err = fmt.Errorf("%w (provider %q)", t.err, t.name)
	}
	if src == nil {
		t.err = errors.New("tokenplug/transport: New called with a nil TokenSource for " + strconv.Quote(t.name))
	}
	return t
}

// RoundTrip sends req, with a token if req is bound for one of the
// Transport's hosts (see [WithHosts]) and is not a redirect that left its
// original origin. It never modifies req: the token goes on a clone, and the
// returned Response's Request is req itself, so the token does not reach the
// caller through it.
//
// On a 401 response to a request that carried a token, if the source is an
// [Invalidator], RoundTrip invalidates the rejected token. Then, if req's body
// can be sent again (no body, or GetBody set, as http.NewRequest does for
// common body types), it fetches another token and retries once. If it cannot
// replay the body, or the source returns the same token or an error, the 401
// is returned as it came, body unread.
//
// If the source fails, RoundTrip returns a *TokenError and sends nothing.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.err != nil {
		closeBody(req)
		return nil, t.err
	}
	if !t.authorizes(req) {
		return t.base.RoundTrip(req)
	}
	tok, err := t.token(req)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.send(req, req.Body, tok)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || t.inv == nil {
		return resp, err
	}
	return t.retry(req, resp, tok)
}

// CloseIdleConnections closes the idle connections of the base RoundTripper,
// if it has such a method. http.Client.CloseIdleConnections calls it.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// authorizes reports whether req gets a token.
func (t *Transport) authorizes(req *http.Request) bool {
	if req.URL == nil || !t.inScope(req.URL) {
		return false
	}
	return req.Response == nil || sameOriginChain(req)
}

func (t *Transport) token(req *http.Request) (*oauth2.Token, error) {
	tok, err := t.src.Token(req.Context())
	if err == nil && (tok == nil || tok.AccessToken == "") {
		err = errNoToken
	}
	if err != nil {
		return nil, &TokenError{Provider: t.name, Err: err}
	}
	return tok, nil
}

// send sends a clone of req with body and tok's header.
func (t *Transport) send(req *http.Request, body io.ReadCloser, tok *oauth2.Token) (*http.Response, error) {
	r2 := req.Clone(req.Context())
	r2.Body = body
	if r2.Header == nil {
		r2.Header = make(http.Header, 1)
	}
	h := t.hdr.Get(tok, headerFor)
	r2.Header[h.name] = []string{h.value} // h.name is canonical: as Header.Set, without rechecking it
	resp, err := t.base.RoundTrip(r2)
	if resp != nil {
		resp.Request = req
	}
	return resp, err
}

// hoster is implemented by sources that know where their tokens may go
// (*host.Source does).
type hoster interface{ Hosts() []string }

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
