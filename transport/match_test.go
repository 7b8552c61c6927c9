package transport_test

import (
	"net/url"
	"testing"

	"github.com/tokenplug/tokenplug/transport"
)

func TestMatchHostsAgreesWithTheTransportsScope(t *testing.T) {
	tests := []struct {
		patterns []string
		url      string
		want     bool
	}{
		{nil, "https://anywhere.test/", false},
		{[]string{"*"}, "https://anywhere.test/", true},
		{[]string{"api.example.com"}, "https://API.example.com/v1", true},
		{[]string{"api.example.com:8443"}, "https://api.example.com/", false},
		{[]string{"other.test", "*.example.com"}, "https://a.b.example.com/", true},
		{[]string{"*.example.com"}, "https://example.com/", false},
		{[]string{"127.0.0.1:8080"}, "http://127.0.0.1:8080/x", true},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		got, err := transport.MatchHosts(tt.patterns, u)
		if err != nil || got != tt.want {
			t.Errorf("MatchHosts(%q, %s) = %v, %v; want %v", tt.patterns, tt.url, got, err, tt.want)
		}
	}
	if _, err := transport.MatchHosts([]string{"https://x.test/"}, &url.URL{Host: "x.test"}); err == nil {
		t.Error("MatchHosts accepted a URL as a pattern")
	}
}
