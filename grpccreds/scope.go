package grpccreds

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/hostmatch"
)

// ErrOutOfScope is the cause of the error returned when an RPC's server is
// not one of its provider's hosts, so the token is not sent.
var ErrOutOfScope = errors.New("server is not one of the provider's hosts")

// WithHosts restricts the credentials to RPCs whose server (the channel's
// authority, host:port) matches one of patterns, with the rules of package
// hostmatch, which the HTTP transport shares: "api.example.com",
// "*.example.com", "api.example.com:8443", "*" for every server. An
// authority without a port is on port 443.
//
// The patterns replace the hosts the credentials' source reports through a
// HostScope method (hostmatch.Scoper, as *host.Source does). A provider
// picked with WithProvider keeps its own source's hosts; the patterns apply
// to it only if its source reports none. An RPC to any other server fails
// with PermissionDenied before a token is fetched, and a source with no
// hosts at all fails every RPC.
func WithHosts(patterns ...string) Option {
	return func(c *PerRPC) { c.hosts = append(c.hosts, patterns...) }
}

// parseHosts sets c.given from WithHosts; nil when none were given.
func (c *PerRPC) parseHosts() error {
	if len(c.hosts) == 0 {
		return nil
	}
	m, err := hostmatch.Parse(c.hosts...)
	if err != nil {
		return tokenError(context.Background(), c.name, &tokenplug.Error{Kind: tokenplug.KindConfig, Err: err})
	}
	c.given = hostmatch.NewScope(m, false)
	return nil
}

// scopeFor returns the hosts src's token may go to. own is true for the
// credentials' own source, whose hosts WithHosts replaces; a source from
// Lookup keeps its own. A nil scope means none.
func (c *PerRPC) scopeFor(ctx context.Context, src TokenSource, own bool) (*hostmatch.Scope, error) {
	if own && c.given != nil {
		return c.given, nil
	}
	if sc, ok := src.(hostmatch.Scoper); ok {
		return sc.HostScope(ctx)
	}
	return c.given, nil
}

// checkScope returns an error unless the RPC's server, named by uri (the
// audience gRPC passes to GetRequestMetadata), is one of sc's hosts. It
// does not allocate unless it fails.
func checkScope(name string, sc *hostmatch.Scope, uri []string) error {
	hosts := sc.Hosts()
	if hosts.Empty() {
		return newStatusError(codes.PermissionDenied, hostmatch.ErrNoHosts,
			"tokenplug/grpccreds: provider %q: %v: configure its hosts (the hosts setting, or grpccreds.WithHosts; \"*\" allows every server)",
			name, hostmatch.ErrNoHosts)
	}
	authority := ""
	if len(uri) > 0 {
		authority = hostmatch.AuthorityFromURI(uri[0])
	}
	if authority == "" || !hosts.MatchAuthority(authority) {
		return newStatusError(codes.PermissionDenied, fmt.Errorf("%w: %q", ErrOutOfScope, authority),
			"tokenplug/grpccreds: provider %q: refusing to send its token to %q: not one of its hosts (%s)", name, authority, hosts)
	}
	return nil
}

// errNilSource is the error of every RPC on credentials made with a nil source.
func errNilSource(ctx context.Context, name string) error {
	return tokenError(ctx, name, &tokenplug.Error{Kind: tokenplug.KindConfig, Err: errNoSource})
}
