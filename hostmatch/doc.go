// Package hostmatch decides which hosts may receive a provider's token. The
// HTTP transport (package transport) and the gRPC credentials (package
// grpccreds) use the same Matcher, so a host pattern means the same thing to
// both.
//
// A pattern is a host name or IP address, optionally with a port:
//
//	api.example.com        api.example.com on any port
//	api.example.com:8443   api.example.com on port 8443 only (https://x is port 443, http://x port 80)
//	*.example.com          any name under example.com, at any depth (a.example.com, a.b.example.com),
//	                       but not example.com itself: list it too if it should match
//	127.0.0.1:8080, [::1]:8080
//	*                      every host: the token may go anywhere (opt-in, never a default)
//
// Names match case-insensitively, and one trailing dot is ignored (the
// FQDN form of the same name). A host with an empty label
// ("api..example.com", ".api.example.com") or a second trailing dot is no
// host and matches nothing, not even "*". A wildcard is only allowed as the
// whole first label, and not above a top-level domain or over an IP
// address: it matches names only, never an IP literal nor a host whose last
// label is a number (URL parsers read "127.1" and "0x7f.0.0.1" as IPv4), so
// "*.0.0.1" is refused. A host name never matches the IP address it
// resolves to, nor the other way round.
//
// No patterns match no host: a provider whose configuration and plugin name
// no hosts may send its token nowhere. Only "*" means anywhere.
//
// The package imports only the standard library, and matching allocates
// nothing.
package hostmatch
