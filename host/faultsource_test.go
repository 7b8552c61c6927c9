package host_test

import (
	"strconv"
	"testing"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// faultSource registers the fault plugin as provider name with behavior
// (and extra key, value settings) and returns its source.
func faultSource(t *testing.T, reg *host.Registry, name, behavior string, extra ...string) *host.Source {
	t.Helper()
	settings := map[string]string{"behavior": behavior}
	for i := 0; i+1 < len(extra); i += 2 {
		settings[extra[i]] = extra[i+1]
	}
	// Tests send its tokens to httptest servers on 127.0.0.1.
	return mustSource(t, reg, name, host.ProviderConfig{Path: testbin.Path("fault"), Hosts: []string{"127.0.0.1"}, Settings: settings})
}

// mustAtoi reads a pid the fault plugin returned as its token.
func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q is not a pid", s)
	}
	return n
}
