package host_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug"
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

// A plugin may narrow its default hosts for one configuration
// (plugin.HostsForSettings), never widen them: a list with a pattern its
// Describe does not declare, or "*", is refused, naming the provider,
// before a token goes anywhere, and the provider's fetches fail too. The
// scope is settled by configuring the instance, without a fetch.
func TestAConfigurationNarrowsThePluginsDefaultHostsButCannotWidenThem(t *testing.T) {
	t.Setenv("FAULTPLUGIN_DEFAULT_HOSTS", "api.acme.test,*.acme.test")
	reg, _ := newRegistry(t, host.WithEnv("FAULTPLUGIN_DEFAULT_HOSTS"))
	tests := []struct {
		name, hosts string
		want        []string // nil: refused
	}{
		{"none given: Describe's apply", "", []string{"api.acme.test", "*.acme.test"}},
		{"narrowed", "*.acme.test", []string{"*.acme.test"}},
		{"a host Describe does not declare", "api.acme.test,api.evil.test", nil},
		{"every host", "*", nil},
		{"a pattern spelt otherwise", "API.acme.test", nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "p" + string(rune('0'+i))
			src := mustSource(t, reg, name, host.ProviderConfig{Path: testbin.Path("fault"), Settings: map[string]string{"default_hosts": tt.hosts}})
			hosts, from, err := src.EffectiveHosts(ctxT(t))
			if tt.want != nil {
				if err != nil || from != "plugin default" || !slices.Equal(hosts, tt.want) {
					t.Fatalf("EffectiveHosts = %q, %q, %v; want %q, plugin default", hosts, from, err, tt.want)
				}
				if tok := mustToken(t, src); tok.AccessToken != "tok-1" {
					t.Errorf("first token %q, want tok-1: settling the scope fetched a token", tok.AccessToken)
				}
				return
			}
			wantNarrowingRefused(t, err, name)
			_, err = src.Token(ctxT(t))
			wantNarrowingRefused(t, err, name)
			// Configured hosts apply without asking the plugin.
			tamed := mustSource(t, reg, name+"-tamed", host.ProviderConfig{Path: testbin.Path("fault"), Hosts: []string{"api.acme.test"},
				Settings: map[string]string{"default_hosts": tt.hosts}})
			if hosts, from, err := tamed.EffectiveHosts(ctxT(t)); err != nil || from != "configured" || !slices.Equal(hosts, []string{"api.acme.test"}) {
				t.Errorf("configured hosts: %q, %q, %v", hosts, from, err)
			}
			mustToken(t, tamed)
		})
	}
}

// wantNarrowingRefused checks err refuses a plugin's default hosts for a
// configuration, naming the provider and what to do.
func wantNarrowingRefused(t *testing.T, err error, provider string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), `provider "`+provider+`"`) || !strings.Contains(err.Error(), "not among those it declares") ||
		!strings.Contains(err.Error(), "configure hosts") || tokenplug.KindOf(err) != tokenplug.KindConfig {
		t.Fatalf("err = %v; want a configuration error naming the provider and what to do", err)
	}
}

// A restarted plugin is configured again under the same rule: the
// narrowed scope stays, and a plugin that no longer declares what it gives
// for the configuration is refused.
func TestNarrowedDefaultHostsHoldAcrossPluginRestarts(t *testing.T) {
	t.Setenv("FAULTPLUGIN_DEFAULT_HOSTS", "api.acme.test,*.acme.test")
	// No invalidation window: each restart below drops the token it got.
	reg, _ := newRegistry(t, host.WithEnv("FAULTPLUGIN_DEFAULT_HOSTS"), host.WithInvalidationWindow(0))
	src := mustSource(t, reg, "narrow", host.ProviderConfig{Path: testbin.Path("fault"),
		Settings: map[string]string{"default_hosts": "*.acme.test", "behavior": "pid", "lifetime": "1h"}})
	sc, err := src.HostScope(ctxT(t))
	if err != nil || !slices.Equal(sc.Hosts().Patterns(), []string{"*.acme.test"}) {
		t.Fatalf("HostScope = %v, %v", sc, err)
	}
	restart := func() error {
		tok := mustToken(t, src)
		killPID(t, tok.AccessToken)
		src.Invalidate(tok)
		next, err := src.Token(ctxT(t))
		if err == nil && next.AccessToken == tok.AccessToken {
			t.Fatal("got the old plugin's pid; no restart happened")
		}
		return err
	}
	if err := restart(); err != nil {
		t.Fatalf("Token after a restart: %v", err)
	}
	t.Setenv("FAULTPLUGIN_DEFAULT_HOSTS", "api.acme.test") // the next plugin no longer declares *.acme.test
	wantNarrowingRefused(t, restart(), "narrow")
	if again, err := src.HostScope(ctxT(t)); err != nil || again != sc {
		t.Errorf("HostScope after the restarts = %v, %v; want the scope first published", again, err)
	}
}
