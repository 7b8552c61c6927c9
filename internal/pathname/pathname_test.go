package pathname

import (
	"strings"
	"testing"
)

func TestProblemAndShow(t *testing.T) {
	for _, tt := range []struct {
		v       string
		problem bool
		shown   bool
	}{
		{"/etc/tokenplug/key.pem", false, true},
		{"./keys/symphony-bot.pem", false, true},
		{"C:/keys/k.pem", false, true},
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n", true, false},
		{`-----BEGIN PRIVATE KEY-----\nMIIE`, true, false},
		{"key.pem\n", true, false},
		{"a\x1b[2Jb", true, false},
		{strings.Repeat("a/", 2049), true, false},
		{strings.Repeat("a", 256), true, false},
		{"dG9rLTVmMWQwYzc3ZTJhOTRiM2Q5YjhmMjdjMWE2ZTBkNGJi", false, false},
		{"/keys/5f1d0c77e2a94b3d9b8f27c1a6e0d4bb", false, false},
		{"/keys/service-account-for-the-production-cluster.json", false, true},
		{"/tmp/TestBadTopologyNamesTheSettingWithoutEchoingSecrets1368027737/001/none.pem", false, true},
		{"/keys/service-account-2024-prod-eu-west-1-rotated", false, true},
		{"ghp_4fT9kQ2mZ8xL1vB7nR3wY6pD0sH5jC2aE9uK", false, false},
	} {
		if got := Problem(tt.v) != ""; got != tt.problem {
			t.Errorf("Problem(%.20q) = %q, want a problem: %v", tt.v, Problem(tt.v), tt.problem)
		}
		got := Show(tt.v)
		if (got == tt.v) != tt.shown {
			t.Errorf("Show(%.20q) = %.40q, want shown: %v", tt.v, got, tt.shown)
		}
		if !tt.shown && (strings.Contains(got, "MIIE") || strings.Contains(got, tt.v[:6])) {
			t.Errorf("Show(%.20q) = %q quotes the value", tt.v, got)
		}
	}
}
