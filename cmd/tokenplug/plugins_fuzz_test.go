package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin"
)

// FuzzParseDescription feeds arbitrary "<binary> describe" output to the
// parser tokenplug plugins uses (plugin.ParseDescription). No panic; a
// rejection wraps plugin.ErrNotDescription and is one short line of the
// parser's own (the caller adds the binary's path); an accepted description has a name
// and, printed again as plugin.Serve prints it, parses to the same
// description.
func FuzzParseDescription(f *testing.F) {
	for _, s := range []string{
		"",
		"{}",
		"null",
		`{"name":"voicegain","version":"0.3.0","protocol_version":1,"settings":[{"key":"jwt","required":true,"secret":true},{"key":"api_url","description":"API","default":"https://api.voicegain.ai/v1"}]}`,
		`{"name":"x","protocol_version":1}{"name":"y"}`,
		`{"name":"x"}`,
		`{"name":""}`,
		`{"name":"x","settings":[null,{"key":1}]}`,
		`{"Name":"x","SETTINGS":null}`,
		`{"name":"\u0000\ud800\xff"}`,
		"usage: tokenplug-foo [flags]\n",
		`[` + strings.Repeat("[", 200) + `]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		if len(out) > 64<<10 {
			t.Skip()
		}
		d, err := plugin.ParseDescription(out)
		if err != nil {
			if !errors.Is(err, plugin.ErrNotDescription) || !reflect.DeepEqual(d, plugin.Description{}) {
				t.Fatalf("rejected with %v, %+v; want plugin.ErrNotDescription and no description", err, d)
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || len(msg) > 200 {
				t.Fatalf("rejection %q is not one short line of the parser's own", msg)
			}
			return
		}
		if d.Name == "" {
			t.Fatalf("accepted a description without a name: %+v", d)
		}
		again, err := plugin.ParseDescription(testbin.DescribeOutput(t, d))
		if err != nil || !reflect.DeepEqual(again, d) {
			t.Fatalf("description %+v printed and parsed again: %+v, %v", d, again, err)
		}
	})
}
