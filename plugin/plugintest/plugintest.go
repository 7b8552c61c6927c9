package plugintest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/syncbuf"
	"github.com/tokenplug/tokenplug/plugin"
)

// Config says which plugin Run checks and with what settings.
type Config struct {
	// Binary is a built plugin binary. Set Binary or Package.
	Binary string
	// Package is a main package to build with go build, as a path relative
	// to the test's directory ("./cmd/tokenplug-acme") or an import path.
	Package string
	// Settings are settings with which Configure succeeds and Token returns
	// a token: point them at a local emulator (httptest), not at a vendor.
	Settings map[string]string
	// CheckToken, if set, makes checks of its own on the token Run fetched,
	// e.g. that a local emulator accepts it.
	CheckToken func(t *testing.T, tok *oauth2.Token)
	// Timeout bounds each step (a plugin start, a token fetch); default 30s.
	Timeout time.Duration
	// Upstream, if set, is the endpoint the plugin fetches tokens from:
	// Run then checks each of its faults through the host (see RunFaults),
	// so that error kinds, retry-afters and messages are seen as the host
	// sees them. Settings is then not needed for the faults.
	Upstream *Upstream
}

// Run checks a plugin binary against the tokenplug contract, launching it
// through the real host. Each check is a sub-test; see the package doc for
// the list. Run calls t.Fatal when the plugin cannot be built or started.
// The plugin runs with HTTP_PROXY and HTTPS_PROXY set to a loopback proxy
// that refuses every request: a plugin that tries to reach a host that is
// not loopback fails the check, naming the host.
func Run(t *testing.T, c Config) {
	t.Helper()
	run(realT{t}, c)
}

func run(t tb, c Config) {
	t.Helper()
	bin := c.Binary
	switch {
	case c.Binary != "" && c.Package != "":
		t.Fatalf("plugintest: set Config.Binary or Config.Package, not both")
	case c.Package != "":
		bin = build(t, c.Package)
	case bin == "":
		t.Fatalf("plugintest: set Config.Binary or Config.Package")
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second // a plugin start plus a fetch from a local emulator take well under a second
	}
	step := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), timeout)
	}

	ctx, cancel := step()
	desc, err := describeCommand(ctx, bin)
	cancel()
	if err != nil {
		t.Fatalf("plugintest: %v", err)
	}
	t.run("description is well-formed", func(t tb) {
		t.Helper()
		t.Helper()
		checkDescription(t, desc)
		if c.Binary != "" && filepath.Base(bin) != "tokenplug-"+desc.Name {
			t.Logf("binary %s: hosts look this plugin up as tokenplug-%s", filepath.Base(bin), desc.Name)
		}
	})

	h := newHarness(t, bin)
	check := func(name string, f func(t tb)) {
		t.Helper()
		t.run(name, func(t tb) {
			t.Helper()
			t.Helper()
			defer h.proxy.check(t)
			f(t)
		})
	}
	check("token through the host", func(t tb) { t.Helper(); checkHostToken(t, h, desc, c, step) })
	check("instances in one process are kept apart", func(t tb) {
		t.Helper()
		checkInstances(t, bin, desc, c.Settings, h, step)
	})
	for _, s := range desc.Settings {
		if !s.Required {
			continue
		}
		check("missing required setting "+s.Key+" is rejected by key", func(t tb) {
			t.Helper()
			ctx, cancel := step()
			defer cancel()
			_, err := h.register(t, "missing-"+s.Key, withoutKey(c.Settings, s.Key)).Token(ctx)
			checkRejected(t, err, s.Key)
		})
	}
	check("undeclared setting is rejected by key", func(t tb) {
		t.Helper()
		const key = "plugintest_undeclared"
		settings := maps.Clone(c.Settings)
		if settings == nil {
			settings = map[string]string{}
		}
		settings[key] = "x"
		ctx, cancel := step()
		defer cancel()
		_, err := h.register(t, "undeclared", settings).Token(ctx)
		checkRejected(t, err, key)
	})
	if c.Upstream != nil {
		check("faults through the host", func(t tb) { t.Helper(); runHostFaults(t, h, desc, *c.Upstream, timeout) })
	}
	check("no stdout and no secrets in output", func(t tb) { t.Helper(); checkOutput(t, bin, desc, c.Settings, h, step) })
}

// checkHostToken fetches a token through the host, twice.
func checkHostToken(t tb, h *harness, desc plugin.Description, c Config, step func() (context.Context, context.CancelFunc)) {
	t.Helper()
	src := h.register(t, "conformance", c.Settings)
	ctx, cancel := step()
	defer cancel()
	got, err := src.Describe(ctx)
	if err != nil {
		t.Fatalf("starting the plugin through the host: %v", err)
	}
	if !descEqual(got, desc) {
		t.Errorf("Describe over the plugin connection %+v differs from the describe command's %+v", got, desc)
	}
	tok, err := src.Token(ctx)
	if err != nil {
		t.Fatalf("Token with Config.Settings: %v", err)
	}
	checkToken(t, tok, time.Now())
	h.addToken(tok)
	// The host asks again when a server rejects a token: a source must
	// fetch more than once.
	src.Invalidate(tok)
	again, err := src.Token(ctx)
	if err != nil {
		t.Fatalf("second Token after Invalidate: %v", err)
	}
	checkToken(t, again, time.Now())
	h.addToken(again)
	if tt := testingT(t); c.CheckToken != nil && tt != nil {
		c.CheckToken(tt, again)
	}
}

// checkOutput launches the plugin directly, with the working settings and
// with wrong secrets, and checks that it writes nothing to stdout and no
// secret or token anywhere.
func checkOutput(t tb, bin string, desc plugin.Description, settings map[string]string, h *harness, step func() (context.Context, context.CancelFunc)) {
	t.Helper()
	ctx, cancel := step()
	defer cancel()
	wrong, markers := wrongSecrets(desc, settings)
	out, toks, err := runRaw(ctx, bin, h.proxy.env(), settings, wrong)
	if err != nil {
		t.Fatalf("plugin launched directly: %v", err)
	}
	if out.stdout != "" {
		t.Errorf("the plugin wrote to stdout after the handshake (hosts discard it; use plugin.Logger): %s", plugin.Snippet([]byte(out.stdout)))
	}
	secrets := secretsOf(desc, settings)
	maps.Copy(secrets, markers)
	for _, tok := range toks {
		h.addToken(tok)
	}
	maps.Copy(secrets, h.tokenSecrets())
	checkNoSecrets(t, "the plugin's stderr (logs at trace level)", out.stderr, secrets)
	for _, err := range out.errs {
		checkNoSecrets(t, fmt.Sprintf("error %s", quoteErr(plugin.Redact(err.Error(), slices.Collect(maps.Values(secrets))...))), err.Error(), secrets)
	}
	checkNoSecrets(t, "the host's logs (debug level)", h.logs.String(), secrets)
}

// harness is a host registry shared by Run's sub-tests, logging to a buffer
// at the lowest level so no line escapes the secret check.
type harness struct {
	bin   string
	reg   *host.Registry
	logs  *syncbuf.Buffer
	proxy *refusingProxy // every plugin's HTTP(S)_PROXY

	mu     sync.Mutex // guards tokens
	tokens []string   // access tokens fetched, to look for in output
}

func newHarness(t tb, bin string) *harness {
	logs := &syncbuf.Buffer{}
	handler := slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug - 4}) // -4: go-plugin's trace
	proxy := newRefusingProxy(t)
	h := &harness{bin: bin, logs: logs, proxy: proxy,
		reg: host.NewRegistry(host.WithLogger(slog.New(handler)), host.WithPluginEnv(proxy.env()...))}
	t.Cleanup(func() { h.reg.Close() })
	return h
}

func (h *harness) register(t fataler, name string, settings map[string]string) *host.Source {
	t.Helper()
	if err := h.reg.Register(name, host.ProviderConfig{Path: h.bin, Settings: settings}); err != nil {
		t.Fatalf("%v", err)
	}
	src, err := h.reg.Source(name)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return src
}

func (h *harness) addToken(tok *oauth2.Token) {
	if tok == nil || len(tok.AccessToken) < minTokenLen {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tokens = append(h.tokens, tok.AccessToken)
}

func (h *harness) tokenSecrets() map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]string{}
	for i, tok := range h.tokens {
		out[fmt.Sprintf("access token #%d", i+1)] = tok
	}
	return out
}

// checkRejected reports unless err is a configuration error naming key.
func checkRejected(r reporter, err error, key string) {
	r.Helper()
	if err == nil {
		r.Errorf("accepted; want an error naming setting %q", key)
		return
	}
	if !errors.Is(err, plugin.ErrConfig) {
		r.Errorf("%v: want a configuration error (plugin.SettingErrors)", err)
	}
	if keys := settingKeys(err); !slices.Contains(keys, key) {
		r.Errorf("%v: names settings %q, want %q among them", err, keys, key)
	}
}

// settingKeys lists the keys a setting error names.
func settingKeys(err error) []string {
	var keys []string
	var many plugin.SettingErrors
	var one plugin.SettingError
	switch {
	case errors.As(err, &many):
		for _, e := range many {
			keys = append(keys, e.Key)
		}
	case errors.As(err, &one):
		keys = append(keys, one.Key)
	}
	return keys
}

func descEqual(a, b plugin.Description) bool {
	return a.Name == b.Name && a.Version == b.Version && slices.Equal(a.Settings, b.Settings) &&
		slices.Equal(a.DefaultHosts, b.DefaultHosts)
}
