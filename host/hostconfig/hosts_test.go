package hostconfig_test

import (
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host/hostconfig"
)

// TestAnExplicitEmptyHostsListIsAnError: "hosts: []" could mean "the
// plugin's default hosts" (a surprise: the user listed none) or "nowhere"
// (useless: the provider could never send its token). It is neither: the
// loader refuses it, naming the provider and the key. Found by
// FuzzParseConfig, whose round trip wrote it back as an omitted key.
func TestAnExplicitEmptyHostsListIsAnError(t *testing.T) {
	want := "tokenplug: config t.yaml:3: providers.p.hosts: empty list: omit the key for the plugin's default hosts, or list hosts"
	for _, yaml := range []string{
		"providers:\n  p:\n    hosts: []\n    plugin: iam\n",
		"providers:\n  p:\n    hosts: &none []\n    plugin: iam\n  q: {plugin: iam, hosts: *none}\n",
	} {
		_, err := hostconfig.Parse(strings.NewReader(yaml), "t.yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", yaml, err, want)
		}
	}
	for _, yaml := range []string{"providers:\n  p:\n    plugin: iam\n", "providers:\n  p:\n    plugin: iam\n    hosts:\n"} {
		cfg, err := hostconfig.Parse(strings.NewReader(yaml), "t.yaml")
		if err != nil || cfg.Providers["p"].Hosts != nil {
			t.Errorf("Parse(%q) = %v, %v; want no hosts (the plugin's defaults)", yaml, cfg, err)
		}
	}
}
