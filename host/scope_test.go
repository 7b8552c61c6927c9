package host_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
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
		{"plugin defaults", host.ProviderConfig{Path: testbin.Path("symphony"), Settings: symphonySettings()},
			[]string{"*.symphony.com"}, "plugin default", false},
		{"configured hosts replace them", host.ProviderConfig{Path: testbin.Path("symphony"), Settings: symphonySettings(), Hosts: []string{"api.acme.test"}},
			[]string{"api.acme.test"}, "configured", false},
		{"a plugin that declares none", host.ProviderConfig{Path: testbin.Path("fault"), AllowInsecure: true},
			nil, "none", true},
		{"every host, explicitly", host.ProviderConfig{Path: testbin.Path("fault"), Hosts: []string{"*"}},
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

// A plugin cannot widen its own scope: default hosts of "*" or invalid
// patterns are refused, and the provider's requests fail, until the user
// configures hosts, which then apply without asking the plugin.
func TestAPluginCannotDeclareEveryHostAsItsDefault(t *testing.T) {
	for _, hosts := range []string{"*", "api.acme.test,*", "https://api.acme.test"} {
		t.Run(hosts, func(t *testing.T) {
			t.Setenv("FAULTPLUGIN_DEFAULT_HOSTS", hosts)
			reg, _ := newRegistry(t, host.WithEnv("FAULTPLUGIN_DEFAULT_HOSTS"))
			src := mustSource(t, reg, "wild", host.ProviderConfig{Path: testbin.Path("fault")})
			_, err := src.HostScope(ctxT(t))
			if err == nil || !strings.Contains(err.Error(), `provider "wild"`) || !strings.Contains(err.Error(), "configure hosts") {
				t.Fatalf("HostScope = %v; want an error naming the provider and what to do", err)
			}
			configured := mustSource(t, reg, "tamed", host.ProviderConfig{Path: testbin.Path("fault"), Hosts: []string{"api.acme.test"}})
			if hosts, from, err := configured.EffectiveHosts(ctxT(t)); err != nil || from != "configured" || len(hosts) != 1 {
				t.Errorf("configured hosts: %q, %q, %v", hosts, from, err)
			}
		})
	}
	t.Run("valid defaults apply", func(t *testing.T) {
		t.Setenv("FAULTPLUGIN_DEFAULT_HOSTS", "api.acme.test,*.acme.test")
		reg, _ := newRegistry(t, host.WithEnv("FAULTPLUGIN_DEFAULT_HOSTS"))
		src := mustSource(t, reg, "acme", host.ProviderConfig{Path: testbin.Path("fault")})
		hosts, from, err := src.EffectiveHosts(ctxT(t))
		if err != nil || from != "plugin default" || !slices.Equal(hosts, []string{"api.acme.test", "*.acme.test"}) {
			t.Errorf("EffectiveHosts = %q, %q, %v", hosts, from, err)
		}
	})
}
