package hostmatch_test

import (
	"net/url"
	"testing"

	"github.com/tokenplug/tokenplug/hostmatch"
)

func TestNoPatternsMatchNothingAndStarMatchesEverything(t *testing.T) {
	none, err := hostmatch.Parse()
	if err != nil || !none.Empty() || none.Match("api.example.com", "443") {
		t.Errorf("Parse() = %v, %v: want an empty matcher that matches nothing", none, err)
	}
	var nilM *hostmatch.Matcher
	if !nilM.Empty() || nilM.Match("x", "1") || nilM.String() != "(none)" {
		t.Error("a nil Matcher must match nothing")
	}
	all, err := hostmatch.Parse("*")
	if err != nil || all.Empty() || !all.MatchesAny() || !all.Match("anything.test", "1") {
		t.Errorf(`Parse("*") = %v, %v: want every host`, all, err)
	}
	for _, bad := range []string{"*:443", "**", "*.", ""} {
		if err := hostmatch.Check(bad); err == nil {
			t.Errorf("Check(%q) accepted it", bad)
		}
	}
}

func TestSplitAuthority(t *testing.T) {
	tests := []struct{ in, host, port string }{
		{"api.example.com", "api.example.com", "443"},
		{"api.example.com:8443", "api.example.com", "8443"},
		{"api.example.com.:443", "api.example.com.", "443"},
		{"127.0.0.1:50051", "127.0.0.1", "50051"},
		{"[::1]:50051", "::1", "50051"},
		{"[::1]", "::1", "443"},
		{"::1", "::1", "443"},
	}
	for _, tt := range tests {
		if h, p := hostmatch.SplitAuthority(tt.in); h != tt.host || p != tt.port {
			t.Errorf("SplitAuthority(%q) = %q, %q; want %q, %q", tt.in, h, p, tt.host, tt.port)
		}
	}
	for in, want := range map[string]string{
		"https://api.example.com/pkg.Service": "api.example.com",
		"https://[::1]:8443/pkg.Service":      "[::1]:8443",
		"https://api.example.com":             "api.example.com",
		"api.example.com/pkg.Service":         "",
	} {
		if got := hostmatch.AuthorityFromURI(in); got != want {
			t.Errorf("AuthorityFromURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST.": true, "127.0.0.1": true, "127.200.0.9": true, "::1": true,
		"fe80::1%lo": false, "10.0.0.1": false, "127.0.0.1.example.com": false, "localhost.example.com": false,
		"api.example.com": false, "": false,
	} {
		if got := hostmatch.IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestMatchingAllocatesNothing(t *testing.T) {
	m, err := hostmatch.Parse("api.example.com", "*.example.org", "127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("https://a.b.example.org/v1")
	n := testing.AllocsPerRun(100, func() {
		m.MatchURL(u)
		m.MatchAuthority("[::1]:8443")
		m.MatchAuthority("api.example.com")
		hostmatch.IsLoopback("127.0.0.1")
		hostmatch.AuthorityFromURI("https://api.example.com/pkg.Service")
	})
	if n != 0 {
		t.Errorf("matching allocates %v times, want 0", n)
	}
}

// BenchmarkMatchAuthority is the per-RPC cost of the gRPC scope check: the
// authority from gRPC's audience URI, matched against two patterns.
func BenchmarkMatchAuthority(b *testing.B) {
	m, err := hostmatch.Parse("api.example.com", "*.example.org")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.MatchAuthority(hostmatch.AuthorityFromURI("https://a.example.org:8443/grpc.health.v1.Health"))
	}
}

// BenchmarkMatchURL is the per-request cost of the HTTP scope check.
func BenchmarkMatchURL(b *testing.B) {
	m, err := hostmatch.Parse("api.example.com", "*.example.org")
	if err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse("https://api.example.com/v1/things")
	b.ReportAllocs()
	for b.Loop() {
		m.MatchURL(u)
	}
}
