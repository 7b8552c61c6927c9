package host_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host"
)

func TestEffectiveHostsAreConfiguredElseThePluginsDefaultsElseNone(t *testing.T) {
	reg, _ := newRegistry(t)
	tests := []struct {
		name     string
		cfg      host.ProviderConfig
		hosts    []string
		from     string
		insecure bool
	}{
		{"plugin defaults", host.ProviderConfig{Path: bins["symphony"], Settings: symphonySettings()},
			[]string{"*.symphony.com"}, "plugin default", false},
		{"configured hosts replace them", host.ProviderConfig{Path: bins["symphony"], Settings: symphonySettings(), Hosts: []string{"api.acme.test"}},
			[]string{"api.acme.test"}, "configured", false},
		{"a plugin that declares none", host.ProviderConfig{Path: bins["fault"], AllowInsecure: true},
			nil, "none", true},
		{"every host, explicitly", host.ProviderConfig{Path: bins["fault"], Hosts: []string{"*"}},
			[]string{"*"}, "configured", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := mustSource(t, reg, "p"+string(rune('0'+i)), tt.cfg)
			hosts, from, err := src.EffectiveHosts(ctxT(t))
			if err != nil || !slices.Equal(hosts, tt.hosts) || from != tt.from {
				t.Fatalf("EffectiveHosts = %q, %q, %v; want %q, %q", hosts, from, err, tt.hosts, tt.from)
			}
			sc, err := src.HostScope(ctxT(t))
			if err != nil || sc.AllowInsecure() != tt.insecure || src.AllowInsecure() != tt.insecure {
				t.Errorf("HostScope: %v, AllowInsecure %v; want %v", err, sc.AllowInsecure(), tt.insecure)
			}
			again, _ := src.HostScope(ctxT(t))
			if again != sc {
				t.Error("the scope was not published once: a second call built another")
			}
		})
	}
}

func TestANilSourceReportsAnErrorInsteadOfPanicking(t *testing.T) {
	var src *host.Source
	if _, err := src.HostScope(t.Context()); err == nil || !strings.Contains(err.Error(), "Registry.Source") {
		t.Errorf("HostScope on a nil Source: %v", err)
	}
}

func TestAllowInsecureIsReadFromTheConfig(t *testing.T) {
	cfg, err := host.ParseConfig(strings.NewReader("providers:\n  a:\n    plugin: iam\n    allow_insecure: true\n  b:\n    plugin: iam\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Providers["a"].AllowInsecure || cfg.Providers["b"].AllowInsecure {
		t.Errorf("allow_insecure: a %v, b %v; want true, false", cfg.Providers["a"].AllowInsecure, cfg.Providers["b"].AllowInsecure)
	}
	_, err = host.ParseConfig(strings.NewReader("providers:\n  a:\n    plugin: iam\n    allow_insecure: please\n"), "t.yaml")
	if err == nil || !strings.Contains(err.Error(), "t.yaml:4") {
		t.Errorf("a non-boolean allow_insecure: %v; want an error at line 4", err)
	}
}
