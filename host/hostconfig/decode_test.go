package hostconfig_test

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host/hostconfig"
)

func TestParseFollowsAliasesAndMergeKeys(t *testing.T) {
	yaml := `providers:
  a: &base
    plugin: iam
    settings: &s {apikey: k, token_url: "https://iam.test/token"}
  b:
    <<: *base
    hosts: [b.test]
    settings:
      <<: *s
      apikey: other
  c: *base
`
	cfg, err := hostconfig.Parse(strings.NewReader(yaml), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Providers["b"]
	if b.Plugin != "iam" || !reflect.DeepEqual(b.Hosts, []string{"b.test"}) ||
		!reflect.DeepEqual(b.Settings, map[string]string{"apikey": "other", "token_url": "https://iam.test/token"}) {
		t.Errorf("b = %+v; want a's plugin and token_url, its own hosts and apikey", b)
	}
	if !reflect.DeepEqual(cfg.Providers["c"], cfg.Providers["a"]) {
		t.Errorf("c = %+v, want a's %+v", cfg.Providers["c"], cfg.Providers["a"])
	}
}

func TestParseErrorsNameTheLineAndTheProblemWithoutTheValue(t *testing.T) {
	tests := []struct{ yaml, want string }{
		// A YAML syntax error is reported at the line where the problem is,
		// not where its enclosing block starts (yaml.v3 says line 1 for all
		// of these).
		{"providers:\n  a:\n    plugin: iam\n   hosts: [x]\n", "tokenplug: config t.yaml:4: did not find expected key"},
		{"providers:\n  a:\n    plugin: iam\n    hosts: [x]\n  b:\n    plugin: iam\n bad: 1\n", "tokenplug: config t.yaml:7: did not find expected key"},
		{"providers:\n  a:\n    plugin: iam\n      hosts: [x]\n", "tokenplug: config t.yaml:4: mapping values are not allowed in this context"},
		{"a: 1\nb: [\n", "tokenplug: config t.yaml:2: did not find expected node content"},
		// A value of the wrong kind is named by its kind, never quoted.
		{"providers: [a, b]\n", "tokenplug: config t.yaml:1: providers: want a mapping, got a list"},
		{"providers:\n  p:\n    plugin: iam\n    hosts: a.test\n", "tokenplug: config t.yaml:4: providers.p.hosts: want a list, got a string"},
		{"providers:\n  p:\n    plugin: iam\n    settings: {apikey: {s3cret: 1}}\n", "tokenplug: config t.yaml:4: providers.p.settings.apikey: want a string, got a mapping"},
		{"warm: yes-please\n", "tokenplug: config t.yaml:1: warm: want true or false, got a string"},
		{"- a\n", "tokenplug: config t.yaml:1: want a mapping of plugin_dir, warm, providers, cache, got a list"},
		{"providers:\n  p: {plugin: iam, <<: [1]}\n", "tokenplug: config t.yaml:2: providers.p: << must name a mapping or a list of mappings"},
	}
	for _, tt := range tests {
		_, err := hostconfig.Parse(strings.NewReader(tt.yaml), "t.yaml")
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) = %v, want %s", tt.yaml, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Parse(%q) quoted a value: %v", tt.yaml, err)
		}
	}
}

// Merges of merges double at each level: 30 levels of two would be a
// billion keys. The decoder stops at its budget, with little memory.
func TestParseBoundsWhatAliasesAndMergesExpandTo(t *testing.T) {
	var b strings.Builder
	b.WriteString("providers:\n  p0: &m0 {plugin: iam, sha256: \"\", hosts: [a.test]}\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "  p%d: &m%d {<<: [*m%d, *m%d, *m%d, *m%d]}\n", i, i, i-1, i-1, i-1, i-1)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := hostconfig.Parse(strings.NewReader(b.String()), "t.yaml")
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "more than 100000 values (aliases included)") {
		t.Fatalf("Parse = %v, want the budget exceeded", err)
	}
	if mb := (after.TotalAlloc - before.TotalAlloc) >> 20; mb > 50 {
		t.Errorf("Parse allocated %d MB", mb)
	}
}

func TestParseCapsTheProblemsItLists(t *testing.T) {
	var b strings.Builder
	b.WriteString("providers:\n")
	for i := range 30 {
		fmt.Fprintf(&b, "  p%d: {hosts: [a.test]}\n", i)
	}
	_, err := hostconfig.Parse(strings.NewReader(b.String()), "t.yaml")
	lines := strings.Split(fmt.Sprint(err), "\n")
	if len(lines) != 21 || lines[20] != "tokenplug: config t.yaml: and 10 more problems" {
		t.Errorf("Parse = %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}
