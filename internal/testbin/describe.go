package testbin

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/tokenplug/tokenplug/plugin"
)

// DescribeOutput prints d as a plugin's "describe" command does, for the
// describe parser's fuzz tests: every field of plugin.Description and
// plugin.Setting under its snake_case name (so a field added later is
// covered too), plus protocol_version. It is written apart from
// plugin.Serve's printer, so that the two check each other.
func DescribeOutput(t testing.TB, d plugin.Description) []byte {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := snakeKeys(doc).(map[string]any)
	out["protocol_version"] = plugin.ProtocolVersion
	b, err = json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// snakeKeys renames every object key in v from Go's CamelCase to
// snake_case: DefaultHosts becomes default_hosts.
func snakeKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			var b strings.Builder
			for i, r := range k {
				if unicode.IsUpper(r) {
					if i > 0 {
						b.WriteByte('_')
					}
					r = unicode.ToLower(r)
				}
				b.WriteRune(r)
			}
			out[b.String()] = snakeKeys(e)
		}
		return out
	case []any:
		for i, e := range v {
			v[i] = snakeKeys(e)
		}
	}
	return v
}
