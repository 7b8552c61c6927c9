package launch

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// hostileLines are log lines that panicked go-plugin's parser, or might:
// wrong JSON types for its keys, invalid UTF-8, huge numbers, deep
// nesting, NULs.
var hostileLines = []string{
	`{"@message": 1, "@level": "warn"}`,
	`{"@message": "m", "@level": 2}`,
	`{"@message": "m", "@level": "info", "@timestamp": 3}`,
	`{"@message": "m", "@level": "info", "@timestamp": "yesterday"}`,
	`{"@message": {"a": [1, 2]}, "@level": ["warn"], "@module": 4}`,
	`{"@message": null, "@level": null, "@timestamp": null}`,
	"{\"@message\": \"bad \xff\xfe utf-8\", \"@level\": \"warn\"}",
	"{\"@message\": \"nul \\u0000 inside\", \"@level\": \"warn\", \"k\": \"\x00\"}",
	`{"@message": 1e999, "@level": "warn"}`,
	`{"@message": 123456789012345678901234567890, "@level": "warn"}`,
	strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000),
	`{"@message": ` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `, "@level": "warn"}`,
	`null`, `[1, 2]`, `"@message"`, `{`, "\x00\x00", "",
	`{"@message": "dup", "@message": 5, "@level": "warn"}`,
}

// parsesLikeGoPlugin fails unless line is either not a JSON object to
// encoding/json, or one whose @message, @level and @timestamp have the
// types go-plugin asserts (and a @timestamp its layout).
func parsesLikeGoPlugin(t *testing.T, line []byte) {
	t.Helper()
	var m map[string]any
	if json.Unmarshal(line, &m) != nil {
		return
	}
	for _, k := range []string{"@message", "@level", "@timestamp"} {
		if v, ok := m[k]; ok {
			if _, isString := v.(string); !isString {
				t.Fatalf("%s is %T in %q", k, v, line)
			}
		}
	}
	if ts, ok := m["@timestamp"].(string); ok {
		if _, err := time.Parse(hclogTime, ts); err != nil {
			t.Fatalf("@timestamp %q does not parse: %q", ts, line)
		}
	}
}

func TestCleanLineLeavesGoPluginNothingToPanicOn(t *testing.T) {
	for _, in := range hostileLines {
		out := cleanLine([]byte(in))
		parsesLikeGoPlugin(t, out)
		if bytes.IndexByte(out, '\n') >= 0 {
			t.Errorf("cleanLine(%.40q) holds a newline: %.80q", in, out)
		}
	}
	// A well-formed line keeps what it says.
	in := `{"@level":"warn","@message":"hello","@timestamp":"2026-12-06T14:00:00.000000Z","k":"v"}`
	var got, want map[string]any
	_ = json.Unmarshal(cleanLine([]byte(in)), &got)
	_ = json.Unmarshal([]byte(in), &want)
	if len(got) != len(want) || got["@message"] != "hello" || got["k"] != "v" || got["@timestamp"] != want["@timestamp"] {
		t.Errorf("cleanLine changed a well-formed line: %v", got)
	}
	if s := string(cleanLine([]byte(`{"@message": 1, "@level": "warn"}`))); !strings.Contains(s, `"@message":"1"`) {
		t.Errorf("a number message is not its text: %s", s)
	}
}

func TestCopyLinesCleansEachLineAndPassesLongOnesThrough(t *testing.T) {
	long := strings.Repeat("x", LogBufferSize+10)
	in := `{"@message": 1, "@level": "warn"}` + "\n" + long + "\n" + `{"@message": 2}` + "\n" + "tail without newline"
	var out bytes.Buffer
	if err := copyLines(&out, strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	want := []string{`{"@level":"warn","@message":"1"}`, long, `{"@message":"2"}`, "tail without newline", ""}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d = %.60q, want %.60q", i, lines[i], want[i])
		}
	}
}

func FuzzCleanLine(f *testing.F) {
	for _, l := range hostileLines {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.IndexByte(line, '\n') >= 0 {
			return // copyLines hands it lines
		}
		parsesLikeGoPlugin(t, cleanLine(line))
	})
}
