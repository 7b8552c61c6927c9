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
// when a request in scope would carry the token in clear: over plain http to
// a host that is not loopback, without AllowInsecure or the provider's
// allow_insecure.
var ErrInsecure = errors.New("refusing to send a token over plain http to a host that is not loopback")

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
	if !secureScheme(req.URL.Scheme) && !t.insecure && !sc.AllowInsecure() && !hostmatch.IsLoopback(req.URL.Hostname()) {
		return false, fmt.Errorf("tokenplug/transport: provider %q: %w %q (use https, or opt in with allow_insecure / transport.AllowInsecure)",
			t.name, ErrInsecure, req.URL.Hostname())
	}
	return true, nil
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
