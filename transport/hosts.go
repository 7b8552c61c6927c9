package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// hostPattern is one parsed WithHosts pattern.
type hostPattern struct {
	host     string // lower case, no trailing dot; for a wildcard, the part after "*."
	wildcard bool   // host is a suffix: matches names at least one label below it
	port     string // "" matches any port
}

// CheckHosts reports the first invalid pattern in patterns, with the rules of
// [WithHosts]. New does not return an error, so a Transport built with an
// invalid pattern fails closed instead: every RoundTrip returns this error
// and sends nothing. Callers that load patterns from configuration should
// call CheckHosts first, to fail at start-up.
func CheckHosts(patterns ...string) error {
	_, err := parseHosts(patterns)
	return err
}

func parseHosts(patterns []string) ([]hostPattern, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	out := make([]hostPattern, 0, len(patterns))
	for _, s := range patterns {
		p, err := parseHost(s)
		if err != nil {
			return nil, fmt.Errorf("tokenplug/transport: host pattern %q: %w", s, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func parseHost(s string) (hostPattern, error) {
	if strings.Contains(s, "/") {
		return hostPattern{}, errors.New("want a host name, optionally with :port, not a URL")
	}
	host, port, err := splitPattern(s)
	if err != nil {
		return hostPattern{}, err
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] < '1' || port[0] > '9' {
			return hostPattern{}, errors.New("port must be a number from 1 to 65535")
		}
	}
	p := hostPattern{host: strings.ToLower(strings.TrimSuffix(host, ".")), port: port}
	if rest, ok := strings.CutPrefix(p.host, "*."); ok {
		p.host, p.wildcard = rest, true
	}
	switch {
	case p.host == "" || p.host == "*":
		return hostPattern{}, errors.New("no host name (leave the hosts out to match every host)")
	case isIP(p.host) && p.wildcard:
		return hostPattern{}, errors.New("a wildcard cannot cover an IP address")
	case isIP(p.host):
		return p, nil
	case strings.HasPrefix(p.host, ".") || strings.HasSuffix(p.host, ".") || strings.Contains(p.host, ".."):
		return hostPattern{}, errors.New("empty label (two dots in a row, or a dot at either end)")
	case p.wildcard && !strings.Contains(p.host, "."):
		return hostPattern{}, errors.New("a wildcard cannot cover a whole top-level domain")
	}
	for _, c := range p.host {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return hostPattern{}, fmt.Errorf("character %q not allowed (a wildcard must be the whole first label)", c)
		}
	}
	return p, nil
}

// splitPattern splits an optional port from s. A bare IPv6 address has
// colons but no port; with a port it needs brackets, as in URLs.
func splitPattern(s string) (host, port string, err error) {
	if strings.HasPrefix(s, "[") {
		if strings.HasSuffix(s, "]") {
			return s[1 : len(s)-1], "", nil
		}
		return splitHostPort(s)
	}
	if strings.Count(s, ":") == 1 {
		return splitHostPort(s)
	}
	return s, "", nil
}

func splitHostPort(s string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(s)
	if err == nil && port == "" {
		err = errors.New("empty port")
	}
	return host, port, err
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// match reports whether p covers host and port. host is a URL's Hostname with
// any trailing dot removed, port its effective port. It does not allocate.
func (p hostPattern) match(host, port string) bool {
	if p.port != "" && p.port != port {
		return false
	}
	if !p.wildcard {
		return strings.EqualFold(host, p.host)
	}
	// An IPv6 literal with a zone ("fe80::1%.example.com") can end like a
	// name; it is never under a wildcard.
	if strings.ContainsAny(host, ":%") {
		return false
	}
	n := len(host) - len(p.host)
	return n >= 2 && host[n-1] == '.' && strings.EqualFold(host[n:], p.host)
}

// hostPort returns u's host name, without a trailing dot, and its port,
// filling in the scheme's default port when u has none.
func hostPort(u *url.URL) (host, port string) {
	host = strings.TrimSuffix(u.Hostname(), ".")
	if port = u.Port(); port != "" {
		return host, port
	}
	switch strings.ToLower(u.Scheme) {
	case "https", "wss":
		return host, "443"
	case "http", "ws":
		return host, "80"
	}
	return host, ""
}

// inScope reports whether a request to u may carry the token.
func (t *Transport) inScope(u *url.URL) bool {
	if t.hosts == nil {
		return true
	}
	host, port := hostPort(u)
	for _, p := range t.hosts {
		if p.match(host, port) {
			return true
		}
	}
	return false
}

// MatchHosts reports whether a request to u is in the scope patterns give,
// with the rules of [WithHosts]: the tokenplug CLI uses it to pick the
// provider for a URL. No patterns match every URL. An invalid pattern is an
// error, as from [CheckHosts].
func MatchHosts(patterns []string, u *url.URL) (bool, error) {
	ps, err := parseHosts(patterns)
	if err != nil || ps == nil {
		return err == nil, err
	}
	host, port := hostPort(u)
	for _, p := range ps {
		if p.match(host, port) {
			return true, nil
		}
	}
	return false, nil
}
