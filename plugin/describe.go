package plugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// The "describe" command's output (see Serve) is the one place a
// Description crosses a process boundary as JSON: writeDescription prints
// it, ParseDescription reads it back for tools (tokenplug plugins,
// plugintest).

// ErrNotDescription is wrapped by every error ParseDescription returns.
// The error's text never quotes the output: a binary that is no plugin may
// print anything.
var ErrNotDescription = errors.New("not a tokenplug plugin description")

// ParseDescription reads the output of "<plugin binary> describe": exactly
// one JSON document with a name, of this SDK's ProtocolVersion.
func ParseDescription(out []byte) (Description, error) {
	var d describeJSON
	dec := json.NewDecoder(bytes.NewReader(out))
	if err := dec.Decode(&d); err != nil {
		return Description{}, fmt.Errorf("%w: stdout is not the schema JSON", ErrNotDescription)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Description{}, fmt.Errorf("%w: stdout has more after the schema JSON: something in the plugin prints to stdout", ErrNotDescription)
	}
	if d.Name == "" {
		return Description{}, fmt.Errorf("%w: it has no name", ErrNotDescription)
	}
	if d.ProtocolVersion != ProtocolVersion {
		return Description{}, fmt.Errorf("%w: protocol_version %d, this SDK speaks %d", ErrNotDescription, d.ProtocolVersion, ProtocolVersion)
	}
	desc := Description{Name: d.Name, Version: d.Version, DefaultHosts: d.DefaultHosts}
	for _, s := range d.Settings {
		desc.Settings = append(desc.Settings, Setting(s))
	}
	return desc, nil
}

func writeDescription(w io.Writer, d Description) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(describeToJSON(d))
}

// describeJSON is the stable JSON form of a Description (the "describe"
// command's output).
type describeJSON struct {
	Name            string        `json:"name"`
	Version         string        `json:"version"`
	ProtocolVersion int           `json:"protocol_version"`
	Settings        []settingJSON `json:"settings"`
	DefaultHosts    []string      `json:"default_hosts"`
}

type settingJSON struct {
	Key         string `json:"key"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required"`
	Secret      bool   `json:"secret"`
	Default     string `json:"default,omitempty"`
}

func describeToJSON(d Description) describeJSON {
	out := describeJSON{Name: d.Name, Version: d.Version, ProtocolVersion: ProtocolVersion, Settings: []settingJSON{}, DefaultHosts: []string{}}
	out.DefaultHosts = append(out.DefaultHosts, d.DefaultHosts...)
	for _, s := range d.Settings {
		out.Settings = append(out.Settings, settingJSON(s))
	}
	return out
}
