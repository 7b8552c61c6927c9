package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/plugin"
)

// FuzzParseDescription feeds arbitrary "<binary> describe" output to the
// parser tokenplug plugins uses. No panic; a rejection is the one fixed
// error (the caller adds the binary's path); an accepted description has a
// name and, printed again as plugin.Serve prints it, parses to the same
// description.
func FuzzParseDescription(f *testing.F) {
	for _, s := range []string{
		"",
		"{}",
		"null",
		`{"name":"voicegain","version":"0.3.0","protocol_version":1,"settings":[{"key":"jwt","required":true,"secret":true},{"key":"api_url","description":"API","default":"https://api.voicegain.ai/v1"}]}`,
		`{"name":"x"}{"name":"y"}`,
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
		d, err := parseDescription(out)
		if err != nil {
			if err != errNotDescription || !reflect.DeepEqual(d, plugin.Description{}) {
				t.Fatalf("rejected with %v, %+v; want errNotDescription and no description", err, d)
			}
			return
		}
		if d.Name == "" {
			t.Fatalf("accepted a description without a name: %+v", d)
		}
		again, err := parseDescription(serveForm(t, d))
		if err != nil || !reflect.DeepEqual(again, d) {
			t.Fatalf("description %+v printed and parsed again: %+v, %v", d, again, err)
		}
	})
}

// serveForm prints d as plugin.Serve's describe command does.
func serveForm(t *testing.T, d plugin.Description) []byte {
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
