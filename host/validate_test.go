package host_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin"
)

// configErrors returns the *host.ConfigErrors in err, joined or not.
func configErrors(t *testing.T, err error) []*host.ConfigError {
	t.Helper()
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var out []*host.ConfigError
	for _, e := range errs {
		var ce *host.ConfigError
		if !errors.As(e, &ce) {
			t.Fatalf("%v is not a *host.ConfigError", e)
		}
		out = append(out, ce)
	}
	return out
}

func TestValidateTagsEveryProblemWithItsPath(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		cfg      host.ProviderConfig
		paths    []string // the errors' paths, in order
		want     string   // in the first error's message
	}{
		{"the name", "a b", host.ProviderConfig{Plugin: "iam"}, []string{""}, `tokenplug: provider "a b": not a provider name`},
		{"no plugin", "w", host.ProviderConfig{}, []string{"plugin"}, `tokenplug: provider "w": plugin: required`},
		{"a bad plugin name", "w", host.ProviderConfig{Plugin: "../iam"}, []string{"plugin"}, `plugin: "../iam" is not a plugin name`},
		{"a bad pin", "w", host.ProviderConfig{Plugin: "iam", SHA256: "abc"}, []string{"sha256"}, "sha256: not a hex SHA-256 digest"},
		{"the second host", "w", host.ProviderConfig{Plugin: "iam", Hosts: []string{"a.test", "*.com"}}, []string{"hosts[1]"}, `hosts[1]: host pattern "*.com"`},
		{"every problem at once", "w", host.ProviderConfig{SHA256: "zz", Hosts: []string{"https://a.test/", "ok.test", "*.a.test"}},
			[]string{"plugin", "sha256", "hosts[0]"}, "plugin: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate(tt.provider)
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			ces := configErrors(t, err)
			var paths []string
			for _, ce := range ces {
				if ce.Provider != tt.provider {
					t.Errorf("Provider %q, want %q", ce.Provider, tt.provider)
				}
				paths = append(paths, ce.Path)
			}
			if strings.Join(paths, ",") != strings.Join(tt.paths, ",") {
				t.Errorf("paths %q, want %q", paths, tt.paths)
			}
			if !strings.Contains(ces[0].Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", ces[0], tt.want)
			}
			if !errors.Is(err, plugin.ErrConfig) {
				t.Errorf("errors.Is(%v, plugin.ErrConfig) = false", err)
			}
			reg, _ := newRegistry(t)
			if rerr := reg.Register(tt.provider, tt.cfg); rerr == nil || rerr.Error() != err.Error() {
				t.Errorf("Register = %v, want Validate's %v", rerr, err)
			}
		})
	}
}

func TestValidateAcceptsAGoodConfig(t *testing.T) {
	cfg := host.ProviderConfig{Plugin: "iam", SHA256: strings.Repeat("ab", 32), Hosts: []string{"*.a.test", "b.test:8443", "*"}}
	if err := cfg.Validate("watson"); err != nil {
		t.Fatal(err)
	}
	if err := (host.ProviderConfig{Path: "/bin/x"}).Validate("p"); err != nil {
		t.Fatalf("a Path without a plugin name: %v", err)
	}
}

// Register keeps its own copy: a caller that changes its maps and slices
// afterwards cannot widen the hosts a token may go to.
func TestRegisterKeepsItsOwnCopyOfTheConfig(t *testing.T) {
	reg, _ := newRegistry(t)
	cfg := host.ProviderConfig{Path: testbin.Path("fault"), Hosts: []string{"a.test"}, Settings: map[string]string{"behavior": "ok"}}
	src := mustSource(t, reg, "p", cfg)
	cfg.Hosts[0] = "*"
	cfg.Settings["behavior"] = "permanent"
	if got := src.Hosts(); len(got) != 1 || got[0] != "a.test" {
		t.Errorf("Hosts %q after the caller changed its slice", got)
	}
	sc, err := src.HostScope(ctxT(t))
	if err != nil || sc.Hosts().MatchesAny() || !sc.Hosts().Match("a.test", "443") {
		t.Errorf("scope %v, %v after the caller changed its slice", sc.Hosts(), err)
	}
	if _, err := src.Token(ctxT(t)); err != nil {
		t.Errorf("Token: %v (the caller's later settings leaked in)", err)
	}
}
