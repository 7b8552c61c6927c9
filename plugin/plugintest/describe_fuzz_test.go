package plugintest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

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

// printDescribe prints d as plugin.Serve's describe command does.
func printDescribe(t *testing.T, d plugin.Description) []byte {
	t.Helper()
	type setting struct {
		Key         string `json:"key"`
		Description string `json:"description,omitempty"`
		Required    bool   `json:"required"`
		Secret      bool   `json:"secret"`
		Default     string `json:"default,omitempty"`
	}
	out := struct {
		Name            string    `json:"name"`
		Version         string    `json:"version"`
		ProtocolVersion int       `json:"protocol_version"`
		Settings        []setting `json:"settings"`
	}{Name: d.Name, Version: d.Version, ProtocolVersion: plugin.ProtocolVersion, Settings: []setting{}}
	for _, s := range d.Settings {
		out.Settings = append(out.Settings, setting(s))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
