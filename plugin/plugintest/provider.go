package plugintest

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// RunProvider checks a provider in-process, without a binary: the
// description, the schema applied to settings, Configure, a token fetched
// through TokenContext (a token source without it fails: the host could
// not cancel it) and then three more at once, as a host may, so go test
// -race sees unguarded state; Configure given each required key missing
// (the host never does that, but a panic there would take the plugin
// down); each URL setting refusing plain http to a host that is not
// loopback (plugin.URL); no secret value in any error when the secrets are
// wrong; and no setting sent as a credential without being marked Secret.
// While it runs, the SDK's HTTP clients reach loopback only: a provider
// that tries another host fails naming it. Every call is bounded.
func RunProvider(t *testing.T, p plugin.Provider, settings map[string]string) {
	t.Helper()
	runProvider(realT{t}, p, settings)
}

func runProvider(t tb, p plugin.Provider, settings map[string]string) {
	t.Helper()
	desc := p.Describe()
	nw := watchNet(t)
	check := func(name string, f func(t tb)) {
		t.Helper()
		t.run(name, func(t tb) {
			t.Helper()
			t.Helper()
			defer nw.check(t)
			f(t)
		})
	}
	check("description is well-formed", func(t tb) { t.Helper(); checkDescription(t, desc) })
	if h, ok := p.(plugin.HostsForSettings); ok {
		check("default hosts for the settings narrow the declared ones", func(t tb) { t.Helper(); checkHostsForSettings(t, h, desc, settings) })
	}
	check("token", func(t tb) { t.Helper(); checkProviderToken(t, p, desc, settings) })
	check("settings sent as credentials are marked Secret", func(t tb) {
		t.Helper()
		var seen []seenRequest
		for _, w := range nw.w.Written() {
			seen = append(seen, parseRequests(w)...)
		}
		checkSecretFlags(t, desc, settings, seen)
	})
	for _, s := range desc.Settings {
		if !s.Required {
			continue
		}
		check("missing required setting "+s.Key+" is rejected by key", func(t tb) {
			t.Helper()
			_, err := plugin.ApplySchema(desc, withoutKey(settings, s.Key))
			checkRejected(t, err, s.Key)
			if r := configurePanic(p, withoutKey(settings, s.Key)); r != nil {
				t.Errorf("Configure without %q panicked: %v", s.Key, r)
			}
		})
	}
	check("URL settings refuse plain http to other hosts", func(t tb) { t.Helper(); checkURLSettings(t, p, desc, settings, nw) })
	check("no secrets in errors", func(t tb) {
		t.Helper()
		wrong, markers := wrongSecrets(desc, settings)
		maps.Copy(markers, secretsOf(desc, settings))
		ts, err := configureBounded(p, wrong)
		if err == nil && ts != nil {
			_, err, _ = fetchBounded(t, ts, fetchTimeout, nil)
		}
		if err != nil {
			checkNoSecrets(t, "the error with wrong secrets", err.Error(), markers)
		}
	})
}

// checkProviderToken configures p, fetches a token, then three at once.
func checkProviderToken(t tb, p plugin.Provider, desc plugin.Description, settings map[string]string) {
	t.Helper()
	ts := mustConfigure(t, p, settings)
	if _, ok := ts.(plugin.ContextTokenSource); !ok {
		t.Errorf("token source %T has Token but no TokenContext method: the host cannot cancel it nor pass its deadline on; implement TokenContext(ctx) and %s", ts, fixContext)
	}
	tok, err, ok := fetchBounded(t, ts, fetchTimeout, nil)
	if !ok {
		return
	}
	if err != nil {
		t.Fatalf("Token: %s", quoteErr(redactParts(err.Error(), values(secretsOf(desc, settings))...)))
	}
	checkToken(t, tok, time.Now())
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, err, ok := fetchBounded(t, ts, fetchTimeout, nil); ok && err != nil {
				t.Errorf("concurrent Token: %s", quoteErr(redactParts(err.Error(), values(secretsOf(desc, settings))...)))
			}
		})
	}
	wg.Wait()
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
	return mustConfigure(t, p, settings)
}

// fataler is the part of testing.TB that mustConfigure uses.
type fataler interface {
	reporter
	Fatalf(format string, args ...any)
}

func mustConfigure(t fataler, p plugin.Provider, settings map[string]string) oauth2.TokenSource {
	t.Helper()
	ts, err := configureBounded(p, settings)
	if err != nil {
		t.Fatalf("Configure: %s", quoteErr(redactParts(err.Error(), values(secretsOf(p.Describe(), settings))...)))
	}
	if ts == nil {
		t.Fatalf("Configure returned no token source and no error")
	}
	return ts
}

// configurePanic calls Configure and returns what it panicked with, or nil.
func configurePanic(p plugin.Provider, settings map[string]string) (panicked any) {
	defer func() { panicked = recover() }()
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	_, _ = p.Configure(ctx, settings)
	return nil
}
