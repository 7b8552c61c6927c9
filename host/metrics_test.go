package host_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/internal/poll"
	"github.com/tokenplug/tokenplug/host/internal/redistest"
	"github.com/tokenplug/tokenplug/host/rediscache"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// otelFixture is a registry whose metrics and spans go to in-memory SDK
// readers.
type otelFixture struct {
	reg    *host.Registry
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	clock  *fakeClock
}

func newOtelFixture(t *testing.T, opts ...host.Option) *otelFixture {
	t.Helper()
	f := &otelFixture{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder(), clock: newFakeClock()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(f.reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f.spans))
	t.Cleanup(func() {
		_ = mp.Shutdown(context.Background())
		_ = tp.Shutdown(context.Background())
	})
	f.reg, _ = newRegistry(t, append([]host.Option{host.WithMeterProvider(mp), host.WithTracerProvider(tp), host.WithClock(f.clock.Now)}, opts...)...)
	return f
}

// points is every data point collected, by "<metric> <sorted attrs>":
// counters' sums, histograms' counts, gauges' values.
func (f *otelFixture) points(t *testing.T) map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := f.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					got[m.Name+" "+attrText(t, p.Attributes)] = float64(p.Value)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					got[m.Name+" "+attrText(t, p.Attributes)] = float64(p.Count)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					got[m.Name+" "+attrText(t, p.Attributes)] = p.Value
				}
			}
		}
	}
	return got
}

// attrText is s as "k=v,k=v", failing on any key outside the fixed
// vocabulary: no metric may carry a token, a setting or a message.
func attrText(t *testing.T, s attribute.Set) string {
	t.Helper()
	var parts []string
	for _, kv := range s.ToSlice() {
		if !allowedAttrs[string(kv.Key)] {
			t.Errorf("unexpected attribute %s=%q", kv.Key, kv.Value.String())
		}
		parts = append(parts, string(kv.Key)+"="+kv.Value.String())
	}
	return strings.Join(parts, ",")
}

// allowedAttrs is every attribute key the host may record.
var allowedAttrs = map[string]bool{
	"tokenplug.provider": true, "tokenplug.outcome": true, "error.type": true, "tokenplug.reason": true,
	"tokenplug.result": true, "tokenplug.force_refresh": true, "tokenplug.challenge.error": true, "tokenplug.plugin": true,
}

// wantPoints fails unless every point in want was recorded with its value.
func wantPoints(t *testing.T, got map[string]float64, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (recorded: %v), want %v", k, g, ok, v)
		}
	}
	if t.Failed() {
		t.Logf("all points: %v", got)
	}
}

// noSecrets fails if any span attribute or status holds one of secrets,
// or a span carries an attribute outside the fixed vocabulary or an event
// (RecordError would put the error's message in one).
func noSecrets(t *testing.T, spans []sdktrace.ReadOnlySpan, secrets ...string) {
	t.Helper()
	for _, s := range spans {
		for _, kv := range s.Attributes() {
			if !allowedAttrs[string(kv.Key)] {
				t.Errorf("span %s: unexpected attribute %s=%q", s.Name(), kv.Key, kv.Value.String())
			}
		}
		if len(s.Events()) != 0 {
			t.Errorf("span %s has events %v: they may carry error messages", s.Name(), s.Events())
		}
		texts := []string{s.Name(), s.Status().Description}
		for _, kv := range s.Attributes() {
			texts = append(texts, string(kv.Key), kv.Value.String())
		}
		for _, txt := range texts {
			for _, secret := range secrets {
				if secret != "" && strings.Contains(txt, secret) {
					t.Errorf("span %s carries a secret in %q", s.Name(), txt)
				}
			}
		}
	}
}

func spanAttrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

func TestOneFetchIsOneSpanAndCountedOnceHoweverManyRequests(t *testing.T) {
	f := newOtelFixture(t)
	src := faultSource(t, f.reg, "f", "ok", "lifetime", "1h", "password", "pw-s3cret")
	var tok *oauth2.Token
	for range 100 {
		var err error
		if tok, err = src.Token(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	}
	got := f.points(t)
	wantPoints(t, got, map[string]float64{
		"tokenplug.fetches tokenplug.outcome=ok,tokenplug.provider=f":                   1,
		"tokenplug.fetch.duration tokenplug.outcome=ok,tokenplug.provider=f":            1,
		"tokenplug.plugin.starts tokenplug.outcome=ok,tokenplug.plugin=tokenplug-fault": 1,
	})
	// The token lives an hour from its arrival, on the host's clock.
	if left := got["tokenplug.token.expiry tokenplug.provider=f"]; left > 3600 || left < 3590 {
		t.Errorf("token.expiry = %v s, want about 3600", left)
	}
	f.clock.Advance(30 * time.Minute)
	if left := f.points(t)["tokenplug.token.expiry tokenplug.provider=f"]; left > 1800 || left < 1790 {
		t.Errorf("token.expiry after 30 minutes = %v s, want about 1800", left)
	}

	spans := f.spans.Ended()
	if len(spans) != 1 || spans[0].Name() != "tokenplug.fetch" {
		t.Fatalf("spans = %d, want one tokenplug.fetch", len(spans))
	}
	if a := spanAttrs(spans[0]); a["tokenplug.provider"] != "f" || a["tokenplug.outcome"] != "ok" {
		t.Errorf("span attributes = %v, want provider f, outcome ok", a)
	}
	noSecrets(t, spans, "pw-s3cret", tok.AccessToken)
}

func TestFailedFetchIsCountedByKindAndItsSpanHoldsNoSecret(t *testing.T) {
	f := newOtelFixture(t)
	src := faultSource(t, f.reg, "perm", "permanent", "password", "pw-s3cret")
	if _, err := src.Token(ctxT(t)); err == nil {
		t.Fatal("want the permanent error")
	}
	wantPoints(t, f.points(t), map[string]float64{
		"tokenplug.fetches error.type=permanent,tokenplug.outcome=error,tokenplug.provider=perm": 1,
		"tokenplug.fetch.duration tokenplug.outcome=error,tokenplug.provider=perm":               1,
	})
	spans := f.spans.Ended()
	if len(spans) != 1 {
		t.Fatalf("spans = %d, want 1", len(spans))
	}
	if a := spanAttrs(spans[0]); a["tokenplug.outcome"] != "error" || a["error.type"] != "permanent" {
		t.Errorf("span attributes = %v, want outcome error, error.type permanent", a)
	}
	if st := spans[0].Status(); st.Code != codes.Error || st.Description != "permanent" {
		t.Errorf("span status = %v %q, want Error \"permanent\"", st.Code, st.Description)
	}
	// The plugin puts the password in its error message: no attribute
	// and no status may carry it.
	noSecrets(t, spans, "pw-s3cret")
}

func TestInvalidationsAreCountedDroppedAndKept(t *testing.T) {
	f := newOtelFixture(t)
	src := faultSource(t, f.reg, "f", "ok")
	tok := mustToken(t, src)
	src.Invalidate(tok)
	tok2 := mustToken(t, src)
	src.Invalidate(tok2) // fetched after an invalidation: kept for the window
	src.Invalidate(tok)  // no longer cached: not counted
	wantPoints(t, f.points(t), map[string]float64{
		"tokenplug.invalidations tokenplug.provider=f,tokenplug.result=dropped": 1,
		"tokenplug.invalidations tokenplug.provider=f,tokenplug.result=kept":    1,
		"tokenplug.fetches tokenplug.outcome=ok,tokenplug.provider=f":           2,
	})
}

func TestPluginRestartsAndStartFailuresAreCounted(t *testing.T) {
	f := newOtelFixture(t)
	// A copy of the binary, so the test can make the next start fail.
	bin := filepath.Join(t.TempDir(), "tokenplug-fault")
	data, err := os.ReadFile(testbin.Path("fault"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	src := mustSource(t, f.reg, "pid", host.ProviderConfig{Path: bin, Settings: map[string]string{"behavior": "pid", "lifetime": "1h"}})
	tok := mustToken(t, src)
	killPID(t, tok.AccessToken)
	src.Invalidate(tok)
	tok, err = src.Token(ctxT(t)) // finds the plugin dead, starts another
	if err != nil {
		t.Fatal(err)
	}
	wantPoints(t, f.points(t), map[string]float64{
		// A plugin's starts are the plugin's (its binary), not the
		// provider's whose call needed them (issue 31: a shared process
		// was counted against whichever provider came first).
		"tokenplug.plugin.starts tokenplug.outcome=ok,tokenplug.plugin=tokenplug-fault":      2,
		"tokenplug.plugin.restarts tokenplug.plugin=tokenplug-fault,tokenplug.reason=exited": 1,
	})

	// Now the binary is gone and the plugin dies: the background refresh,
	// due at 80% of the token's life, fails while the token is still
	// served.
	if err := os.Remove(bin); err != nil {
		t.Fatal(err)
	}
	killPID(t, tok.AccessToken)
	f.clock.Advance(50 * time.Minute)
	if _, err := src.Token(ctxT(t)); err != nil {
		t.Fatalf("the valid token was not served during the refresh: %v", err)
	}
	key := "tokenplug.refresh.failures error.type=temporary,tokenplug.provider=pid"
	poll.Wait(func() bool { return f.points(t)[key] >= 1 }) // else the check below says what was recorded
	got := f.points(t)
	if got[key] < 1 || got["tokenplug.plugin.starts error.type=temporary,tokenplug.outcome=error,tokenplug.plugin=tokenplug-fault"] < 1 {
		t.Errorf("want a refresh failure and a failed start counted; recorded %v", got)
	}
}

func TestSharedCacheHitsMissesAndFallbacksAreCounted(t *testing.T) {
	srv := redistest.Start(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	newCache := func(url string) host.SharedCache {
		c, err := rediscache.New(rediscache.Config{URL: url, EncryptionKey: base64.StdEncoding.EncodeToString(key)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Two replicas: the first fetches (a miss), the second finds its token.
	for i, want := range []string{"miss", "hit"} {
		f := newOtelFixture(t, host.WithCache(newCache(srv.URL())))
		src := mustSource(t, f.reg, "sym", host.ProviderConfig{Path: testbin.Path("symphony"), Settings: symphonySettings()})
		if _, err := src.Token(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		wantPoints(t, f.points(t), map[string]float64{
			"tokenplug.shared_cache.lookups tokenplug.provider=sym,tokenplug.result=" + want: 1,
		})
		if fetches := f.points(t)["tokenplug.fetches tokenplug.outcome=ok,tokenplug.provider=sym"]; fetches != float64(1-i) {
			t.Errorf("replica %d: %v upstream fetches, want %d", i, fetches, 1-i)
		}
	}
	// Redis is down: the cache fetches for itself.
	srv.Kill()
	f := newOtelFixture(t, host.WithCache(newCache(srv.URL())))
	src := mustSource(t, f.reg, "sym", host.ProviderConfig{Path: testbin.Path("symphony"), Settings: symphonySettings()})
	if _, err := src.Token(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	wantPoints(t, f.points(t), map[string]float64{
		"tokenplug.shared_cache.lookups tokenplug.provider=sym,tokenplug.result=fallback": 1,
		"tokenplug.fetches tokenplug.outcome=ok,tokenplug.provider=sym":                   1,
	})
}

// The cached path records nothing and allocates nothing, with an SDK
// installed.
func TestCachedTokenRecordsNothing(t *testing.T) {
	f := newOtelFixture(t)
	src := faultSource(t, f.reg, "f", "ok")
	ctx := ctxT(t)
	if _, err := src.Token(ctx); err != nil {
		t.Fatal(err)
	}
	before := f.points(t)
	allocs := testing.AllocsPerRun(1000, func() { _, _ = src.Token(ctx) })
	after := f.points(t)
	for k, v := range after {
		if !strings.HasPrefix(k, "tokenplug.token.expiry") && before[k] != v {
			t.Errorf("%s changed from %v to %v on cached Token calls", k, before[k], v)
		}
	}
	if allocs != 0 {
		t.Errorf("cached Token allocates %v times per call, want 0", allocs)
	}
	if n := len(f.spans.Ended()); n != 1 {
		t.Errorf("%d spans, want 1: the fetch's only", n)
	}
}
