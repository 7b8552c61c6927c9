package transport

import (
	"io"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/hostmatch"
	"github.com/tokenplug/tokenplug/internal/authheader"
	"github.com/tokenplug/tokenplug/internal/nilcheck"
)

// Transport is an http.RoundTripper that adds a token from a TokenSource to
// requests bound for its hosts, then sends them with a base RoundTripper.
//
// A Transport is safe for concurrent use by multiple goroutines. It is
// immutable after New, takes no lock, and keeps no token: each request asks
// the source, which caches. It only remembers the header it built for the
// last token, so that a cached token's header is not rebuilt per request.
type Transport struct {
	base     http.RoundTripper
	src      TokenSource
	inv      Invalidator                   // src, if it can invalidate; else nil (no 401 retry)
	chs      tokenplug.ChallengeSource     // src, if it can answer challenges; else nil
	name     string                        // provider name for errors
	fixed    *hostmatch.Scope              // hosts from WithHosts (or none), when scoper is nil
	scoper   hostmatch.Scoper              // src, when it knows its own hosts and WithHosts gave none
	insecure bool                          // AllowInsecure: plain http to any host in scope
	err      error                         // invalid configuration: every RoundTrip returns it
	hdr      authheader.Cache[tokenHeader] // the last token's header, built once per token
	notSent  *notSent                      // logs requests sent without the token (notsent.go)
}

// tokenHeader is the header that carries a token.
type tokenHeader struct{ name, value string }

func headerFor(tok *oauth2.Token) tokenHeader {
	name, value := tokenplug.RequestHeader(tok)
	return tokenHeader{http.CanonicalHeaderKey(name), value}
}

// New returns a Transport that adds tokens from src to requests and sends
// them with base, or http.DefaultTransport if base is nil.
//
// The hosts are those given WithHosts or, without any, those src reports
// through a HostScope method ([hostmatch.Scoper]: a *host.Source reports
// the hosts configured for its provider, else its plugin's default hosts).
// With neither, no host is in scope and every RoundTrip fails: only an
// explicit "*" sends the token anywhere.
//
// New does not fail: if src is nil (including a nil *host.Source) or a host
// pattern is invalid, the Transport fails closed, returning that error from
// every RoundTrip without sending anything (see [CheckHosts]).
func New(base http.RoundTripper, src TokenSource, opts ...Option) *Transport {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	t := &Transport{base: base, name: o.name, insecure: o.insecure, notSent: &notSent{logger: o.logger}}
	if nilcheck.Is(src) {
		if t.name == "" {
			t.name = "token source"
		}
		t.err = nilSourceErr(t.name)
		return t
	}
	t.src = src
	t.inv, _ = src.(Invalidator)
	t.chs, _ = src.(tokenplug.ChallengeSource)
	if n, ok := src.(namer); ok && t.name == "" {
		t.name = n.Name()
	}
	if t.name == "" {
		t.name = "token source"
	}
	t.err = t.setScope(src, o.hosts)
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
// A 401 whose WWW-Authenticate carries a Bearer challenge asking for
// another token (insufficient_scope, insufficient_claims,
// insufficient_user_authentication, or claims: RFC 6750 §3, RFC 9470,
// Entra ID), or a 403 with insufficient_scope, is answered instead, when
// the source is a [tokenplug.ChallengeSource] and the body can be
// replayed: the request is sent once more with the source's token for
// that challenge, and that response is returned, whatever it says. The
// cached token is not invalidated: it still serves other requests. If the
// source cannot answer (its provider does not, or the challenge asks for
// a scope its settings do not allow; a *host.Source logs why at debug
// level), the response is returned as it came, body unread, and nothing
// was fetched. See challenge.go.
//
// If the source fails, RoundTrip returns a *TokenError and sends nothing. It
// also sends nothing, and returns an error naming the provider, when the
// provider has no hosts at all ([hostmatch.ErrNoHosts]) or the token would
// travel in clear ([ErrInsecure]).
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.err != nil {
		closeBody(req)
		return nil, t.err
	}
	sc, err := t.scope(req.Context())
	if err != nil {
		closeBody(req)
		return nil, err
	}
	ok, err := t.authorizes(req, sc)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if !ok {
		t.notSent.log(req, t.name, sc)
		return t.base.RoundTrip(req)
	}
	tok, err := t.token(req)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.send(req, req.Body, tok)
	if err != nil || resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
		return resp, err
	}
	return t.refused(req, resp, tok)
}

// CloseIdleConnections closes the idle connections of the base RoundTripper,
// if it has such a method. http.Client.CloseIdleConnections calls it.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
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

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
