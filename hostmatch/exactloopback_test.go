package hostmatch_test

import (
	"testing"

	"github.com/tokenplug/tokenplug/hostmatch"
)

// Only the names net/http keeps off HTTP_PROXY are exact loopback: other
// spellings of localhost go to a proxy in clear (issue 26, item 4).
func TestIsExactLoopbackTakesOnlyWhatNetHTTPKeepsOffAProxy(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "127.0.0.1": true, "127.3.4.5": true, "::1": true,
		"LOCALHOST": false, "localhost.": false, "LocalHost.": false, "fe80::1%lo": false,
		"10.0.0.1": false, "example.com": false, "": false,
	} {
		if got := hostmatch.IsExactLoopback(host); got != want {
			t.Errorf("IsExactLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}
