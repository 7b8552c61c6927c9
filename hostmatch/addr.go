package hostmatch

import (
	"net/netip"
	"net/url"
	"strings"
)

// HostPort returns u's host name, without brackets (a trailing dot is
// left for [Matcher.Match] to judge: one is the FQDN form, two are no
// host), and its port, filling in the scheme's default port (443 for https and wss, 80
// for http and ws) when u has none. It does not allocate.
func HostPort(u *url.URL) (host, port string) {
	host = u.Hostname()
	if port = u.Port(); port != "" {
		return host, port
	}
	switch {
	case strings.EqualFold(u.Scheme, "https"), strings.EqualFold(u.Scheme, "wss"):
		return host, "443"
	case strings.EqualFold(u.Scheme, "http"), strings.EqualFold(u.Scheme, "ws"):
		return host, "80"
	}
	return host, ""
}

// SplitAuthority splits a gRPC authority into host (without brackets; a
// trailing dot is kept, as by [HostPort]) and port; an authority without a port is on port 443, as
// gRPC dials it over TLS. It does not allocate.
func SplitAuthority(authority string) (host, port string) {
	host, port = authority, "443"
	if i := strings.LastIndexByte(authority, ':'); i >= 0 && strings.IndexByte(authority[i:], ']') < 0 {
		if strings.HasPrefix(authority, "[") || strings.Count(authority, ":") == 1 {
			host, port = authority[:i], authority[i+1:]
		}
	}
	host = strings.TrimPrefix(strings.TrimSuffix(host, "]"), "[")
	return host, port
}

// AuthorityFromURI returns the authority of the audience URI gRPC passes to
// per-RPC credentials ("https://host[:port]/package.Service"), or "" if
// uri has none. It does not allocate.
func AuthorityFromURI(uri string) string {
	i := strings.Index(uri, "://")
	if i < 0 {
		return ""
	}
	rest := uri[i+3:]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// IsLoopback reports whether host is "localhost" or a loopback IP address
// (127.0.0.0/8, ::1): the only hosts a token may reach over plain http
// without the user's opt-in, since the traffic never leaves the machine.
// It does not allocate for IPv4 and unzoned IPv6 addresses.
func IsLoopback(host string) bool {
	host, ok := wellFormed(host)
	if !ok {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.IsLoopback()
}

// IsExactLoopback reports whether host is a name net/http itself treats as
// loopback, keeping it off HTTP_PROXY: exactly "localhost", or a loopback
// IP literal (127.0.0.0/8, ::1) without a zone. Unlike IsLoopback it takes
// no other spelling ("LOCALHOST", "localhost."), which a proxy would see:
// use it where plain http may go to loopback without knowing the route.
func IsExactLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.IsLoopback()
}
