package hostmatch_test

import (
	"net/url"
	"testing"

	"github.com/tokenplug/tokenplug/hostmatch"
)

// TestWildcardsNeverCoverIPLiterals: a wildcard matches names, never an IP
// address, however its labels line up ("*.0.0.1" over 127.0.0.1). A host
// whose last label is a number is an IPv4 address to URL parsers and to
// inet_aton (WHATWG URL Standard, "ends in a number checker"), so it is
// not a name either.
func TestWildcardsNeverCoverIPLiterals(t *testing.T) {
	for _, tt := range []struct{ pattern, host string }{
		{"*.0.0.1", "127.0.0.1"},
		{"*.0.0.1", "10.0.0.1"},
		{"*.168.1.1", "192.168.1.1"},
		{"*.0.1", "127.0.0.1"},
		{"*.1", "10.0.0.1"},
		{"*.0x1", "127.0.0x1"},
		{"*.ffff:7f00:1", "::ffff:7f00:1"},
	} {
		m, err := hostmatch.Parse(tt.pattern)
		if err == nil && (m.Match(tt.host, "443") || m.MatchURL(&url.URL{Scheme: "https", Host: tt.host})) {
			t.Errorf("wildcard %q matches the IP literal %q", tt.pattern, tt.host)
		}
	}
	for _, p := range []string{"*.0.0.1", "*.168.1.1", "*.example.0x10"} {
		if err := hostmatch.Check(p); err == nil {
			t.Errorf("Check(%q) accepted a wildcard over numeric labels", p)
		}
	}
	m, err := hostmatch.Parse("*.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if m.Match("1.2.3.example.com", "443") != true {
		t.Error("*.example.com must still match names with numeric labels below it")
	}
}

// TestMalformedHostsMatchNothing: a host with an empty label, or more than
// one trailing dot, is no host (RFC 1035 §2.3.1: labels are not empty; one
// trailing dot is the FQDN form and equals the name without it), in a URL,
// a gRPC authority, or a host given alone.
func TestMalformedHostsMatchNothing(t *testing.T) {
	m, err := hostmatch.Parse("*.example.com", "api.example.com", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{
		"api..example.com", ".api.example.com", "api.example.com..", "a.example.com..", "..api.example.com",
		"a..b.example.com", "api.example.com...", ".", "..", "127.0.0.1..", ".127.0.0.1",
	} {
		if m.Match(host, "443") {
			t.Errorf("Match(%q) = true, want false", host)
		}
		if u := (&url.URL{Scheme: "https", Host: host}); m.MatchURL(u) {
			t.Errorf("MatchURL(%s) = true, want false", u)
		}
		if m.MatchAuthority(host + ":443") {
			t.Errorf("MatchAuthority(%q) = true, want false", host+":443")
		}
		if hostmatch.IsLoopback(host) {
			t.Errorf("IsLoopback(%q) = true, want false", host)
		}
	}
	for _, host := range []string{"api.example.com.", "API.example.com.", "a.example.com.", "127.0.0.1"} {
		if !m.Match(host, "443") || !m.MatchAuthority(host+":443") || !m.MatchURL(&url.URL{Scheme: "https", Host: host}) {
			t.Errorf("%q (one trailing dot: the FQDN form) must match", host)
		}
	}
}
