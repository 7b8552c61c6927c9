package hostconfig

import (
	"strings"
	"testing"
)

// fuzzEnv is the environment FuzzExpandEnv expands against. Its values
// stand for secrets: no error may contain one, and none is expanded again.
var fuzzEnv = map[string]string{
	"KEY":    "k3y-s3cr3t-Value",
	"EMPTY":  "",
	"NESTED": "${KEY}$$-n3st3d-s3cr3t",
	"_u9":    "und3r-s3cr3t",
}

func fuzzLookup(name string) (string, bool) {
	v, ok := fuzzEnv[name]
	return v, ok
}

// FuzzExpandEnv checks ${VAR}, ${VAR:-default} and $$ expansion on
// arbitrary strings: no panic; errors are one clear line that never holds a
// variable's value; the result is never longer than the input with every
// reference replaced by the longest value; and a string with each $ doubled
// expands to itself.
func FuzzExpandEnv(f *testing.F) {
	for _, s := range []string{
		"", "plain", "$", "$$", "$$$", "${", "${}", "${KEY", "${KEY}", "${KEY}}", "${ KEY}",
		"${KEY:-d}", "${EMPTY:-dflt}", "${UNSET:-}", "${UNSET:-a:-b}", "${UNSET:-${KEY}}",
		"${UNSET}", "${1X}", "${NESTED}", "$${KEY}", "$$${KEY}", "a$b$c", "${_u9}x${KEY}",
		"https://${UNSET:-iam.test}/token", "${KEY:-}", "${:-x}", "${\n}", "${K\xffEY}",
	} {
		f.Add(s)
	}
	longest := 0
	for _, v := range fuzzEnv {
		longest = max(longest, len(v))
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := expandEnv(s, fuzzLookup)
		if err != nil {
			checkExpandError(t, s, err)
		} else if bound := len(s) + strings.Count(s, "${")*longest; len(out) > bound {
			t.Fatalf("expandEnv(%q) = %d bytes, more than %d", s, len(out), bound)
		}
		escaped := strings.ReplaceAll(s, "$", "$$")
		if back, err := expandEnv(escaped, fuzzLookup); err != nil || back != s {
			t.Fatalf("expandEnv(%q) = %q, %v; want the input back", escaped, back, err)
		}
	})
}

func checkExpandError(t *testing.T, s string, err error) {
	t.Helper()
	msg := err.Error()
	if msg == "" {
		t.Fatalf("expandEnv(%q): empty error", s)
	}
	for name, v := range fuzzEnv {
		if v != "" && strings.Contains(msg, v) && !strings.Contains(s, v) {
			t.Fatalf("expandEnv(%q): error holds the value of %s: %q", s, name, msg)
		}
	}
	if !strings.Contains(msg, "${") && !strings.Contains(msg, "environment variable") {
		t.Fatalf("expandEnv(%q): error %q says neither what nor which variable", s, msg)
	}
}
