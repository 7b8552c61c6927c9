package plugintest

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/tokenplug/tokenplug/plugin"
)

// FuzzParseDescribe feeds arbitrary stdout to the describe command's
// parser. No panic; a rejection is one short line starting "describe: ";
// an accepted description, printed again as plugin.Serve prints it, parses
// to the same description.
func FuzzParseDescribe(f *testing.F) {
	v := strconv.Itoa(plugin.ProtocolVersion)
	for _, s := range []string{
		"",
		"{}",
		"null",
		`{"name":"iam","version":"1.0.0","protocol_version":` + v + `,"settings":[{"key":"apikey","description":"IBM Cloud API key","required":true,"secret":true},{"key":"token_url","default":"https://iam.cloud.ibm.com/identity/token"}]}` + "\n",
		`{"name":"iam","protocol_version":` + v + `}{"name":"again"}`,
		`{"name":"iam","protocol_version":` + v + `} trailing`,
		"starting up...\n" + `{"name":"iam","protocol_version":` + v + `}`,
		`{"name":"iam","protocol_version":999}`,
		`{"name":"iam","protocol_version":"1"}`,
		`{"name":"iam","protocol_version":1e400}`,
		`{"NAME":"iam","Protocol_Version":` + v + `,"settings":null}`,
		`{"name":"\ud800\xff","protocol_version":` + v + `,"settings":[null,{}]}`,
		`{"name":"iam","protocol_version":` + v + `,"settings":{"key":"x"}}`,
		`[` + strings.Repeat("[", 200) + `]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, stdout []byte) {
		if len(stdout) > 64<<10 {
			t.Skip()
		}
		d, err := parseDescribe(stdout)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "describe: ") || strings.ContainsAny(msg, "\n\r") || len(msg) > 1024 {
				t.Fatalf("error is not one short line starting \"describe: \": %q", msg)
			}
			return
		}
		again, err := parseDescribe(printDescribe(t, d))
		if err != nil || !reflect.DeepEqual(again, d) {
			t.Fatalf("description %+v printed and parsed again: %+v, %v", d, again, err)
		}
	})
}

// printDescribe prints d in the describe command's form: every field of
// plugin.Description and plugin.Setting under its snake_case name (so a
// field added later is covered too), plus protocol_version.
func printDescribe(t *testing.T, d plugin.Description) []byte {
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
