package plugintest

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/internal/testbin"
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
		again, err := parseDescribe(testbin.DescribeOutput(t, d))
		if err != nil || !reflect.DeepEqual(again, d) {
			t.Fatalf("description %+v printed and parsed again: %+v, %v", d, again, err)
		}
	})
}
