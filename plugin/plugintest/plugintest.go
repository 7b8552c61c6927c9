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
func Run(t *testing.T, c Config) {
	t.Helper()
	bin := c.Binary
	switch {
	case c.Binary != "" && c.Package != "":
		t.Fatal("plugintest: set Config.Binary or Config.Package, not both")
	case c.Package != "":
		bin = build(t, c.Package)
	case bin == "":
		t.Fatal("plugintest: set Config.Binary or Config.Package")
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
	t.Run("description is well-formed", func(t *testing.T) {
		checkDescription(t, desc)
		if c.Binary != "" && filepath.Base(bin) != "tokenplug-"+desc.Name {
			t.Logf("binary %s: hosts look this plugin up as tokenplug-%s", filepath.Base(bin), desc.Name)
		}
	})

	h := newHarness(t, bin)
	t.Run("token through the host", func(t *testing.T) {
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
		if c.CheckToken != nil {
			c.CheckToken(t, again)
		}
	})
	t.Run("instances in one process are kept apart", func(t *testing.T) {
		checkInstances(t, bin, desc, c.Settings, h, step)
	})
	for _, s := range desc.Settings {
		if !s.Required {
			continue
		}
		t.Run("missing required setting "+s.Key+" is rejected by key", func(t *testing.T) {
			ctx, cancel := step()
			defer cancel()
			_, err := h.register(t, "missing-"+s.Key, withoutKey(c.Settings, s.Key)).Token(ctx)
			checkRejected(t, err, s.Key)
		})
	}
	t.Run("undeclared setting is rejected by key", func(t *testing.T) {
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
		t.Run("faults through the host", func(t *testing.T) { runHostFaults(t, h, desc, *c.Upstream, timeout) })
	}
	t.Run("no stdout and no secrets in output", func(t *testing.T) {
		ctx, cancel := step()
		defer cancel()
		wrong, markers := wrongSecrets(desc, c.Settings)
		out, toks, err := runRaw(ctx, bin, c.Settings, wrong)
		if err != nil {
			t.Fatalf("plugin launched directly: %v", err)
		}
		if out.stdout != "" {
			t.Errorf("the plugin wrote to stdout after the handshake (hosts discard it; use plugin.Logger): %s", plugin.Snippet([]byte(out.stdout)))
		}
		secrets := secretsOf(desc, c.Settings)
		maps.Copy(secrets, markers)
		for _, tok := range toks {
			h.addToken(tok)
		}
		maps.Copy(secrets, h.tokenSecrets())
		checkNoSecrets(t, "the plugin's stderr (logs at trace level)", out.stderr, secrets)
		for _, err := range out.errs {
			checkNoSecrets(t, fmt.Sprintf("error %q", plugin.Redact(err.Error(), slices.Collect(maps.Values(secrets))...)), err.Error(), secrets)
		}
		checkNoSecrets(t, "the host's logs (debug level)", h.logs.String(), secrets)
	})
}

// harness is a host registry shared by Run's sub-tests, logging to a buffer
// at the lowest level so no line escapes the secret check.
type harness struct {
	bin  string
	reg  *host.Registry
	logs *syncbuf.Buffer

	mu     sync.Mutex // guards tokens
	tokens []string   // access tokens fetched, to look for in output
}

func newHarness(t *testing.T, bin string) *harness {
	logs := &syncbuf.Buffer{}
	handler := slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug - 4}) // -4: go-plugin's trace
	h := &harness{bin: bin, logs: logs, reg: host.NewRegistry(host.WithLogger(slog.New(handler)))}
	t.Cleanup(func() { h.reg.Close() })
	return h
}

func (h *harness) register(t *testing.T, name string, settings map[string]string) *host.Source {
	t.Helper()
	if err := h.reg.Register(name, host.ProviderConfig{Path: h.bin, Settings: settings}); err != nil {
		t.Fatal(err)
	}
	src, err := h.reg.Source(name)
	if err != nil {
		t.Fatal(err)
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

// RunProvider checks a provider in-process, without a binary: the
// description, the schema applied to settings, Configure, a token fetched
// (through TokenContext when the source has it) and then three more at
// once, as a host may, so go test -race sees unguarded state; Configure
// given each required key missing (the host never does that, but a panic
// there would take the plugin down); and no secret value in any error when
// the secrets are wrong.
func RunProvider(t *testing.T, p plugin.Provider, settings map[string]string) {
	t.Helper()
	desc := p.Describe()
	t.Run("description is well-formed", func(t *testing.T) { checkDescription(t, desc) })
	if h, ok := p.(plugin.HostsForSettings); ok {
		t.Run("default hosts for the settings narrow the declared ones", func(t *testing.T) { checkHostsForSettings(t, h, desc, settings) })
	}
	t.Run("token", func(t *testing.T) {
		ts := MustConfigure(t, p, settings)
		if _, ok := ts.(plugin.ContextTokenSource); !ok {
			t.Logf("token source %T has no TokenContext method: the host's deadline cannot reach its upstream requests", ts)
		}
		tok, err := fetch(ts)
		if err != nil {
			t.Fatalf("Token: %v", err)
		}
		checkToken(t, tok, time.Now())
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				if _, err := fetch(ts); err != nil {
					t.Errorf("concurrent Token: %v", err)
				}
			})
		}
		wg.Wait()
	})
	for _, s := range desc.Settings {
		if !s.Required {
			continue
		}
		t.Run("missing required setting "+s.Key+" is rejected by key", func(t *testing.T) {
			_, err := plugin.ApplySchema(desc, withoutKey(settings, s.Key))
			checkRejected(t, err, s.Key)
			if r := configurePanic(p, withoutKey(settings, s.Key)); r != nil {
				t.Errorf("Configure without %q panicked: %v", s.Key, r)
			}
		})
	}
	t.Run("no secrets in errors", func(t *testing.T) {
		wrong, markers := wrongSecrets(desc, settings)
		maps.Copy(markers, secretsOf(desc, settings))
		applied, err := plugin.ApplySchema(desc, wrong)
		if err != nil {
			t.Fatalf("ApplySchema: %v", err)
		}
		ts, err := p.Configure(context.Background(), applied)
		if err == nil && ts != nil {
			_, err = fetch(ts)
		}
		if err != nil {
			checkNoSecrets(t, "the error with wrong secrets", err.Error(), markers)
		}
	})
}

// Configure configures p as a host does: the settings go through
// plugin.ApplySchema (defaults filled in, missing required and undeclared
// keys rejected), then to p.Configure.
func Configure(ctx context.Context, p plugin.Provider, settings map[string]string) (oauth2.TokenSource, error) {
	applied, err := plugin.ApplySchema(p.Describe(), settings)
	if err != nil {
		return nil, err
	}
	return p.Configure(ctx, applied)
}

// MustConfigure is Configure that ends the test (t.Fatal) when the
// provider refuses settings, with secret setting values redacted from the
// message; a nil token source with no error fails it too.
func MustConfigure(t testing.TB, p plugin.Provider, settings map[string]string) oauth2.TokenSource {
	t.Helper()
	ts, err := Configure(context.Background(), p, settings)
	if err != nil {
		t.Fatalf("Configure: %s", redactParts(err.Error(), values(secretsOf(p.Describe(), settings))...))
	}
	if ts == nil {
		t.Fatal("Configure returned no token source and no error")
	}
	return ts
}

func fetch(ts oauth2.TokenSource) (*oauth2.Token, error) {
	if cts, ok := ts.(plugin.ContextTokenSource); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return cts.TokenContext(ctx)
	}
	return ts.Token()
}

// configurePanic calls Configure and returns what it panicked with, or nil.
func configurePanic(p plugin.Provider, settings map[string]string) (panicked any) {
	defer func() { panicked = recover() }()
	_, _ = p.Configure(context.Background(), settings)
	return nil
}
