package hostmatch

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ErrNoHosts is the cause of the error a transport or credentials return
// when their source has no hosts at all, so that its token may go nowhere.
var ErrNoHosts = errors.New("no hosts to send the token to")

// Any is the pattern that matches every host.
const Any = "*"

// Matcher reports whether a host may receive a token. It is immutable and
// safe for concurrent use; a nil or zero Matcher matches nothing.
type Matcher struct {
	pats []pattern
	any  bool     // "*" was given: every host matches
	list []string // the patterns as given, for display
}

// pattern is one parsed host pattern.
type pattern struct {
	host     string // lower case, no trailing dot; for a wildcard, the part after "*."
	wildcard bool   // host is a suffix: matches names at least one label below it
	port     string // "" matches any port
}

// Parse returns a Matcher for patterns (see the package doc), or an error
// naming the first invalid one. No patterns give a Matcher that matches
// nothing.
func Parse(patterns ...string) (*Matcher, error) {
	m := &Matcher{pats: make([]pattern, 0, len(patterns)), list: slices.Clone(patterns)}
	for _, s := range patterns {
		if s == Any {
			m.any = true
			continue
		}
		p, err := parse(s)
		if err != nil {
			return nil, fmt.Errorf("host pattern %q: %w", s, err)
		}
		m.pats = append(m.pats, p)
	}
	return m, nil
}

// Check reports the first invalid pattern in patterns, as Parse does.
func Check(patterns ...string) error {
	_, err := Parse(patterns...)
	return err
}

// Patterns returns the patterns m was parsed from.
func (m *Matcher) Patterns() []string {
	if m == nil {
		return nil
	}
	return slices.Clone(m.list)
}

// Empty reports whether m matches no host at all.
func (m *Matcher) Empty() bool { return m == nil || !m.any && len(m.pats) == 0 }

// MatchesAny reports whether m matches every host ("*").
func (m *Matcher) MatchesAny() bool { return m != nil && m.any }

// Match reports whether host on port may receive the token. host is a name
// or IP address without brackets, port its effective port ("" when
// unknown, which only a pattern without a port matches). A host with an
// empty label or more than one trailing dot is no host and matches
// nothing, not even "*". It does not allocate.
func (m *Matcher) Match(host, port string) bool {
	host, ok := wellFormed(host)
	if m == nil || !ok {
		return false
	}
	if m.any {
		return true
	}
	for _, p := range m.pats {
		if p.match(host, port) {
			return true
		}
	}
	return false
}

// MatchURL reports whether a request to u may carry the token; a URL
// without a port has its scheme's default port. It does not allocate.
func (m *Matcher) MatchURL(u *url.URL) bool {
	host, port := HostPort(u)
	return m.Match(host, port)
}

// MatchAuthority reports whether a gRPC call to authority ("host:port",
// "[v6]:port", or a host alone, meaning port 443) may carry the token. It
// does not allocate.
func (m *Matcher) MatchAuthority(authority string) bool {
	host, port := SplitAuthority(authority)
	return m.Match(host, port)
}

// String returns the patterns, comma-separated, or "(none)".
func (m *Matcher) String() string {
	if m == nil || len(m.list) == 0 {
		return "(none)"
	}
	return strings.Join(m.list, ", ")
}

func parse(s string) (pattern, error) {
	if strings.Contains(s, "/") {
		return pattern{}, errors.New("want a host name, optionally with :port, not a URL")
	}
	host, port, err := splitPattern(s)
	if err != nil {
		return pattern{}, err
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] < '1' || port[0] > '9' {
			return pattern{}, errors.New("port must be a number from 1 to 65535")
		}
	}
	p := pattern{host: strings.ToLower(strings.TrimSuffix(host, ".")), port: port}
	if rest, ok := strings.CutPrefix(p.host, "*."); ok {
		p.host, p.wildcard = rest, true
	}
	switch {
	case p.host == "" || p.host == "*":
		return pattern{}, errors.New(`no host name (write "*" alone for every host)`)
	case p.wildcard && (isIP(p.host) || endsInNumber(p.host)):
		return pattern{}, errors.New("a wildcard cannot cover an IP address (its last label is a number)")
	case isIP(p.host):
		return p, nil
	case strings.HasPrefix(p.host, ".") || strings.HasSuffix(p.host, ".") || strings.Contains(p.host, ".."):
		return pattern{}, errors.New("empty label (two dots in a row, or a dot at either end)")
	case p.wildcard && !strings.Contains(p.host, "."):
		return pattern{}, errors.New("a wildcard cannot cover a whole top-level domain")
	}
	for _, c := range p.host {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return pattern{}, fmt.Errorf("character %q not allowed (a wildcard must be the whole first label)", c)
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

// match reports whether p covers host and port. host has no trailing dot.
func (p pattern) match(host, port string) bool {
	if p.port != "" && p.port != port {
		return false
	}
	if !p.wildcard {
		return strings.EqualFold(host, p.host)
	}
	// A wildcard covers names only. An IPv6 literal with a zone
	// ("fe80::1%.example.com") can end like a name, and an IPv4 address
	// like a pattern's numeric labels ("*.0.0.1" over 127.0.0.1).
	if strings.IndexByte(host, ':') >= 0 || strings.IndexByte(host, '%') >= 0 || endsInNumber(host) {
		return false
	}
	n := len(host) - len(p.host)
	return n >= 2 && host[n-1] == '.' && strings.EqualFold(host[n:], p.host)
}

// wellFormed returns host without its one trailing dot (the FQDN form of
// the same name), and false if what remains is empty or has an empty
// label: a leading dot, two in a row, or a second trailing dot (RFC 1035
// §2.3.1: a label has at least one character). It does not allocate.
func wellFormed(host string) (string, bool) {
	host = strings.TrimSuffix(host, ".")
	bad := host == "" || host[0] == '.' || host[len(host)-1] == '.' || strings.Contains(host, "..")
	return host, !bad
}

// endsInNumber reports whether host's last label is a number (decimal, or
// hex after 0x): URL parsers and inet_aton read such a host as an IPv4
// address ("127.1", "0x7f.0.0.1"), so it is never a name (WHATWG URL
// Standard, "ends in a number checker"). It does not allocate.
func endsInNumber(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	if len(last) >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') {
		return strings.Trim(last[2:], "0123456789abcdefABCDEF") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}
