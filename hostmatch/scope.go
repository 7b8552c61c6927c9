package hostmatch

import "context"

// Scope is where one provider's tokens may go: its hosts, and whether the
// user allowed them over plain http to hosts other than loopback. It is
// immutable and safe for concurrent use.
type Scope struct {
	hosts    *Matcher
	insecure bool
}

// NewScope returns a Scope of hosts (nil: none). allowInsecure is the
// user's opt-in to tokens over plain http to non-loopback hosts.
func NewScope(hosts *Matcher, allowInsecure bool) *Scope {
	return &Scope{hosts: hosts, insecure: allowInsecure}
}

// Hosts returns the hosts that may receive the token; nil or empty: none.
func (s *Scope) Hosts() *Matcher {
	if s == nil {
		return nil
	}
	return s.hosts
}

// AllowInsecure reports whether the token may travel over plain http to a
// host that is not loopback.
func (s *Scope) AllowInsecure() bool { return s != nil && s.insecure }

// Scoper is implemented by token sources that know where their tokens may
// go (*host.Source does: the hosts configured for its provider, else its
// plugin's default hosts). The transport and the gRPC credentials ask for
// it on every request when they are not given hosts of their own.
//
// HostScope must be safe for concurrent use and, once the scope is known,
// cheap: no lock and no allocation. It may block, bounded by ctx, the first
// time, to learn the scope (a host.Source starts its plugin to read the
// default hosts). A Scope with no hosts means the token may go nowhere;
// callers then fail every request.
type Scoper interface {
	HostScope(ctx context.Context) (*Scope, error)
}
