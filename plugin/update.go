package plugin

import (
	"fmt"
	"slices"
	"strings"
)

// CheckSettingsUpdate reports whether update, the settings a token asks
// its host to keep (WithSettingsUpdate), names only settings d declares.
// The error names every other key, sorted; it never quotes a value. The
// SDK refuses such a token before it leaves the plugin, and hosts refuse
// such an update from any plugin: a provider may only replace what a user
// could have configured.
func CheckSettingsUpdate(d Description, update map[string]string) error {
	var bad []string
	for k := range update {
		if !slices.ContainsFunc(d.Settings, func(s Setting) bool { return s.Key == k }) {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return Permanent(fmt.Errorf("tokenplug/%s: the token's settings update names settings the plugin does not declare: %s",
		d.Name, strings.Join(quoteAll(bad), ", ")))
}

// quoteAll quotes each key, so that an odd key (empty, with spaces) reads
// as what it is.
func quoteAll(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%q", k)
	}
	return out
}
