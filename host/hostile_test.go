package host_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// hostileLogLines are what a plugin may write to its log stream (stderr):
// JSON whose keys have the wrong types for go-plugin's parser (one such
// line panicked the host), invalid UTF-8, huge numbers, deep nesting,
// NULs, a terminal escape.
var hostileLogLines = []string{
	`{"@message": 1, "@level": "warn"}`,
	`{"@message": "m", "@level": 2}`,
	`{"@message": "m", "@level": "info", "@timestamp": 3}`,
	`{"@message": {"a": [1]}, "@level": ["warn"], "@module": 4, "@timestamp": "soon"}`,
	"{\"@message\": \"bad \xff\xfe utf-8\", \"@level\": \"warn\"}",
	"{\"@message\": \"nul \\u0000 in json\", \"@level\": \"warn\"}",
	"raw nul \x00 and escape \x1b]0;title\x07 in text",
	`{"@message": 1e999, "@level": "warn"}`,
	strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000),
	`{"@message": ` + strings.Repeat("[", 9000) + strings.Repeat("]", 9000) + `, "@level": "warn"}`,
	`null`,
}

func TestHostileLinesOnAPluginsStderrNeitherCrashNorStallTheHost(t *testing.T) {
	reg, logs := newRegistry(t)
	lines := base64.StdEncoding.EncodeToString([]byte(strings.Join(hostileLogLines, "\n")))
	// The fault plugin writes the lines to the stream the host reads its
	// log from, then "stderr-done", and answers with a token.
	src := faultSource(t, reg, "hostile", "stderr", "stderr_b64", lines)
	mustToken(t, src)
	waitForLogs(t, logs, "stderr-done")
	// A provider logging attributes named like the format's keys through
	// the SDK logger: its line arrives, and so do later ones.
	mustToken(t, faultSource(t, reg, "attrs", "logattrs"))
	waitForLogs(t, logs, "hostile attrs", "logattrs-done")
	mustToken(t, src) // the plugin and the host still serve
	if strings.ContainsAny(logs.String(), "\x00\x1b\x07") {
		t.Errorf("a control character reached the log:\n%q", logs)
	}
}
