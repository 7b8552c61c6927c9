package transport

import "log/slog"

// Option configures a Transport in New.
type Option func(*options)

type options struct {
	hosts    []string
	name     string
	insecure bool
	logger   *slog.Logger // WithLogger (notsent.go)
}

// WithHosts restricts the Transport to requests whose host matches one of
// patterns; requests to any other host are sent without a token, and without
// asking the source for one. A Transport with no hosts at all, from
// WithHosts or from its source, fails every request: write WithHosts("*")
// to send the token to every host.
//
// A pattern is a host name or IP address, optionally with a port:
//
//	api.example.com        api.example.com on any port
//	api.example.com:8443   api.example.com on port 8443 only (https://x is port 443, http://x port 80)
//	*.example.com          any name under example.com, at any depth (a.example.com, a.b.example.com),
//	                       but not example.com itself: list it too if it should match
//	127.0.0.1:8080, [::1]:8080
//	*                      every host
//
// Names match case-insensitively, and a trailing dot is ignored. A wildcard
// is only allowed as the whole first label, and not above a top-level domain
// or over an IP address. Patterns are checked in New; see [CheckHosts] for
// what happens with an invalid one. WithHosts may be given more than once;
// the patterns add up. They replace the scope the source reports through a
// HostScope method ([hostmatch.Scoper], as *host.Source does), including the
// provider's allow_insecure, which applies when WithHosts gives none. The
// matching rules are those of package hostmatch, shared with grpccreds.
func WithHosts(patterns ...string) Option {
	return func(o *options) { o.hosts = append(o.hosts, patterns...) }
}

// WithName sets the provider name used in errors. By default it is the
// source's Name() if it has such a method (as *host.Source does) and returns
// a non-empty string, else "token source".
func WithName(name string) Option {
	return func(o *options) { o.name = name }
}

// AllowInsecure lets the Transport put the token on plain http requests to
// hosts in scope that are not loopback. Without it (or the provider's
// allow_insecure setting), such a request fails with [ErrInsecure] and is
// not sent: on plain http the token travels readable by anyone on the path,
// and can be replayed until it expires.
//
// Plain http to loopback is allowed without it only when the request goes
// there directly. When the base is an *http.Transport, its Proxy decides:
// loopback is localhost (any case, one trailing dot), 127.0.0.0/8 and ::1,
// and the request must not go through a proxy (net/http keeps only the
// exact "localhost" and the IP literals off HTTP_PROXY, so "LOCALHOST" or
// "localhost." would reach the proxy in clear). Through any other base,
// whose route is unknown, only those exact names count as loopback.
func AllowInsecure() Option {
	return func(o *options) { o.insecure = true }
}
