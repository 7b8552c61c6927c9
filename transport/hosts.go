package transport

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tokenplug/tokenplug/hostmatch"
)

// CheckHosts reports the first invalid pattern in patterns, with the rules of
// [WithHosts]. New does not return an error, so a Transport built with an
// invalid pattern fails closed instead: every RoundTrip returns this error
// and sends nothing. Callers that load patterns from configuration should
// call CheckHosts first, to fail at start-up.
func CheckHosts(patterns ...string) error {
	if err := hostmatch.Check(patterns...); err != nil {
		return fmt.Errorf("tokenplug/transport: %w", err)
	}
	return nil
}

// MatchHosts reports whether a request to u is in the scope patterns give,
// with the rules of [WithHosts]: the tokenplug CLI uses it to pick the
// provider for a URL. No patterns match no URL; "*" matches every URL. An
// invalid pattern is an error, as from [CheckHosts].
func MatchHosts(patterns []string, u *url.URL) (bool, error) {
	m, err := hostmatch.Parse(patterns...)
	if err != nil {
		return false, fmt.Errorf("tokenplug/transport: %w", err)
	}
	return m.MatchURL(u), nil
}

// ErrInsecure is the cause of the error RoundTrip returns, sending nothing,
// when a request in scope would carry the token in clear, without
// AllowInsecure or the provider's allow_insecure: over plain http to a host
// that is not loopback, or to loopback through a proxy (see
// [AllowInsecure] for what counts as loopback).
var ErrInsecure = errors.New("refusing to send a token over plain http")

// scope returns the hosts req's token may go to: the Transport's own, or
// its source's. Once the source knows its scope this is an atomic load.
func (t *Transport) scope(ctx context.Context) (*hostmatch.Scope, error) {
	if t.scoper == nil {
		return t.fixed, nil
	}
	sc, err := t.scoper.HostScope(ctx)
	if err != nil {
		return nil, &TokenError{Provider: t.name, Err: err}
	}
	return sc, nil
}

// authorizes reports whether req gets a token under sc. It fails when the
// token may go nowhere, and when req is in scope but would carry the token
// in clear. It does not allocate unless it fails.
func (t *Transport) authorizes(req *http.Request, sc *hostmatch.Scope) (bool, error) {
	hosts := sc.Hosts()
	if hosts.Empty() {
		return false, t.noHosts()
	}
	if req.URL == nil || !hosts.MatchURL(req.URL) {
		return false, nil
	}
	if req.Response != nil && !sameOriginChain(req) {
		return false, nil
	}
	if !secureScheme(req.URL.Scheme) && !t.insecure && !sc.AllowInsecure() {
		if why := t.notDirectLoopback(req); why != "" {
			return false, fmt.Errorf("tokenplug/transport: provider %q: %w to %q: %s (use https, or opt in with allow_insecure / transport.AllowInsecure)",
				t.name, ErrInsecure, req.URL.Hostname(), why)
		}
	}
	return true, nil
}

// notDirectLoopback returns "" if req, over plain http, reaches a loopback
// address with no proxy in between, else why not. The base's own Proxy
// decides when the base is an *http.Transport: net/http keeps only the
// exact "localhost" and loopback IP literals off HTTP_PROXY, so
// "LOCALHOST" or "localhost." would go to the proxy in clear. Through any
// other base the route is unknown, and only those exact names pass.
func (t *Transport) notDirectLoopback(req *http.Request) string {
	host := req.URL.Hostname()
	ht, ok := t.base.(*http.Transport)
	switch {
	case !hostmatch.IsLoopback(host):
		return "not a loopback host"
	case !ok && !hostmatch.IsExactLoopback(host):
		return "only the exact names localhost, 127.0.0.0/8 and ::1 are known to stay off a proxy"
	case !ok || ht.Proxy == nil:
		return ""
	}
	if u, err := ht.Proxy(req); err != nil || u != nil {
		return "it would go through a proxy"
	}
	return ""
}

func (t *Transport) noHosts() error {
	return fmt.Errorf("tokenplug/transport: provider %q: %w: configure its hosts "+
		"(the hosts setting, or transport.WithHosts; \"*\" allows every host)", t.name, hostmatch.ErrNoHosts)
}

func secureScheme(s string) bool { return strings.EqualFold(s, "https") || strings.EqualFold(s, "wss") }

// setScope fixes the Transport's scope from WithHosts, or else arranges to
// ask src on each request, or else leaves it empty: fail closed.
func (t *Transport) setScope(src TokenSource, patterns []string) error {
	if len(patterns) == 0 {
		if sc, ok := src.(hostmatch.Scoper); ok {
			t.scoper = sc
			return nil
		}
	}
	m, err := hostmatch.Parse(patterns...)
	if err != nil {
		return fmt.Errorf("tokenplug/transport: %w (provider %q)", err, t.name)
	}
	t.fixed = hostmatch.NewScope(m, false)
	return nil
}

func nilSourceErr(name string) error {
	return errors.New("tokenplug/transport: New called with a nil TokenSource for " + strconv.Quote(name))
}
