package host_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin"
)

func TestWarmFetchesEveryFirstTokenSoTheFirstRequestMakesNoRPC(t *testing.T) {
	_, tokenURL, requests := countedIAM(t, nil)
	reg, _ := newRegistry(t)
	watson := iamSource(t, reg, tokenURL)
	fault := mustSource(t, reg, "fault", host.ProviderConfig{Path: testbin.Path("fault"), Settings: map[string]string{"behavior": "pid"}})
	if err := reg.Warm(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if n := requests(); n != 1 {
		t.Fatalf("after Warm the IAM emulator saw %d token requests, want 1", n)
	}
	// The fault plugin's token is its pid: kill the plugin, so that any RPC
	// the first Token call made would fail or start a new plugin.
	before := mustToken(t, fault)
	pid, _ := strconv.Atoi(before.AccessToken)
	if p, err := os.FindProcess(pid); err != nil || p.Kill() != nil {
		t.Fatalf("kill the plugin %d: %v", pid, err)
	}
	waitGone(t, pid)
	if tok, err := fault.Token(ctxT(t)); err != nil || tok.AccessToken != before.AccessToken {
		t.Errorf("Token after Warm = %v, %v; want the warmed token %s without an RPC", tok, err, before.AccessToken)
	}
	if _, err := watson.Token(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if n := requests(); n != 1 {
		t.Errorf("the first Token call after Warm fetched: %d token requests, want 1", n)
	}
	if err := reg.Warm(ctxT(t)); err != nil || requests() != 1 {
		t.Errorf("a second Warm = %v and made %d requests; want nil and no fetch", err, requests()-1)
	}
}

func TestWarmReportsEveryProvidersConfigurationErrorByName(t *testing.T) {
	reg, _ := newRegistry(t, host.WithPluginDir(t.TempDir()))
	for name, cfg := range map[string]host.ProviderConfig{
		"good":      {Path: testbin.Path("fault")},
		"typo":      {Plugin: "iamm", Settings: map[string]string{"apikey": testAPIKey}},
		"undecl":    {Path: testbin.Path("symphony"), Settings: map[string]string{"public_key_name": "a", "private_key": "x", "colour": "blue"}},
		"nopubname": {Path: testbin.Path("symphony"), Settings: map[string]string{"private_key": "x"}},
	} {
		if err := reg.Register(name, cfg); err != nil {
			t.Fatal(err)
		}
	}
	err := reg.Warm(ctxT(t))
	if err == nil {
		t.Fatal("Warm = nil, want the three providers' errors")
	}
	lines := strings.Split(err.Error(), "\n")
	want := [][]string{ // one line per failed provider, in name order
		{`provider "nopubname"`, `setting "public_key_name": required`},
		{`provider "typo"`, `plugin: plugin "iamm" not found`, "tokenplug-iamm"},
		{`provider "undecl"`, `setting "colour": unknown setting for plugin symphony`},
	}
	if len(lines) != len(want) {
		t.Fatalf("Warm = %q, want %d lines", err, len(want))
	}
	for i, w := range want {
		for _, s := range w {
			if !strings.Contains(lines[i], s) {
				t.Errorf("line %q, want it to contain %q", lines[i], s)
			}
		}
	}
	var ce *host.ConfigError
	if !errors.As(err, &ce) || ce.Provider != "typo" || ce.Path != "plugin" {
		t.Errorf("Warm = %v, want a *host.ConfigError for typo's plugin", err)
	}
	var se plugin.SettingErrors
	if !errors.As(err, &se) || !errors.Is(err, plugin.ErrConfig) {
		t.Errorf("Warm = %v, want plugin.SettingErrors reachable, of kind config", err)
	}
	if strings.Contains(err.Error(), testAPIKey) {
		t.Error("Warm's error holds a secret")
	}
	if _, err := reg.Token(ctxT(t), "good"); err != nil {
		t.Errorf("the good provider: %v", err)
	}
}

func TestWarmOnRegisterFetchesInTheBackground(t *testing.T) {
	_, tokenURL, requests := countedIAM(t, nil)
	reg, _ := newRegistry(t, host.WithWarmOnRegister())
	src := iamSource(t, reg, tokenURL)
	ctx := ctxT(t)
	for requests() == 0 { // nobody asked for a token: only the warm-up fetches
		select {
		case <-ctx.Done():
			t.Fatal("no token request reached the emulator after Register")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if _, err := src.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if n := requests(); n != 1 {
		t.Errorf("%d token requests, want the warm-up's only", n)
	}
}

// Close ends the warm-ups it owns, even one stuck in a plugin that never
// answers; TestMain's goleak check fails the run if a goroutine is left.
func TestCloseEndsWarmUpsInFlight(t *testing.T) {
	reg, logs := newRegistry(t, host.WithWarmOnRegister(), host.WithFetchTimeout(time.Hour))
	for _, name := range []string{"a", "b", "c"} {
		mustSource(t, reg, name, host.ProviderConfig{Path: testbin.Path("fault"), Settings: map[string]string{"behavior": "hang"}})
	}
	ctx, cancel := context.WithCancel(ctxT(t))
	cancel()
	if err := reg.Warm(ctx); err == nil || !errors.Is(err, context.Canceled) {
		t.Errorf("Warm with a done context = %v, want context.Canceled", err)
	}
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	if err := reg.Warm(ctxT(t)); !errors.Is(err, host.ErrClosed) {
		t.Errorf("Warm after Close = %v, want ErrClosed", err)
	}
	if strings.Contains(logs.String(), "warming a provider failed") {
		t.Errorf("Close logged its own cancellation as a failure:\n%s", logs)
	}
}
