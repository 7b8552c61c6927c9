package host

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
)

// WithMeterProvider sets where the registry's metrics go (see the package
// documentation for their names). Default otel.GetMeterProvider(), the
// global one: without an SDK installed, nothing is recorded.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *options) { o.meterProvider = mp }
}

// WithTracerProvider sets where the registry's spans go: one span per
// upstream token fetch, never one per request. Default
// otel.GetTracerProvider(), the global one.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracerProvider = tp }
}

// instrumentationName names the meter and the tracer.
const instrumentationName = "github.com/tokenplug/tokenplug/host"

// Attribute keys. No attribute ever holds a token, a setting value or an
// error message: only names and fixed words.
const (
	attrProvider = attribute.Key("tokenplug.provider")
	attrPlugin   = attribute.Key("tokenplug.plugin")  // plugin starts and restarts: the binary's name
	attrOutcome  = attribute.Key("tokenplug.outcome") // ok | error; for challenges: answered | cached | refused | unsupported | failed
	attrErrKind  = attribute.Key("error.type")        // temporary | permanent | rate_limited | configuration
	attrReason   = attribute.Key("tokenplug.reason")  // why a plugin was restarted
	attrResult   = attribute.Key("tokenplug.result")  // shared cache and invalidation results
	attrForce    = attribute.Key("tokenplug.force_refresh")

	attrChallengeError = attribute.Key("tokenplug.challenge.error") // a known RFC 6750 / RFC 9470 code, none or other
)

// telemetry holds a Registry's OpenTelemetry instruments. It records only
// on rare events (upstream fetches, plugin starts, invalidations,
// shared-cache lookups): the cached path of Source.Token records nothing.
// A nil *telemetry records nothing.
type telemetry struct {
	tracer        trace.Tracer
	meter         metric.Meter
	fetches       metric.Int64Counter
	fetchDuration metric.Float64Histogram
	expiry        metric.Float64ObservableGauge
	refreshFails  metric.Int64Counter
	starts        metric.Int64Counter
	restarts      metric.Int64Counter
	cacheLookups  metric.Int64Counter
	invalidations metric.Int64Counter
	challenges    metric.Int64Counter
}

// newTelemetry creates the instruments; nil providers mean the global ones.
// An instrument the provider refuses is logged and replaced by a no-op.
func newTelemetry(mp metric.MeterProvider, tp trace.TracerProvider, log *slog.Logger) *telemetry {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	m := mp.Meter(instrumentationName)
	t := &telemetry{tracer: tp.Tracer(instrumentationName), meter: m}
	var errs []error
	t.fetches = counter(m, &errs, "tokenplug.fetches", "Upstream token fetches through a plugin.", "{fetch}")
	t.refreshFails = counter(m, &errs, "tokenplug.refresh.failures", "Failed fetches while a valid token was still served (background refreshes).", "{failure}")
	t.starts = counter(m, &errs, "tokenplug.plugin.starts", "Plugin process starts.", "{start}")
	t.restarts = counter(m, &errs, "tokenplug.plugin.restarts", "Plugins replaced because they exited or stopped answering.", "{restart}")
	t.cacheLookups = counter(m, &errs, "tokenplug.shared_cache.lookups", "Consultations of the shared cache tier (WithCache).", "{lookup}")
	t.invalidations = counter(m, &errs, "tokenplug.invalidations", "Tokens a server rejected (401 / Unauthenticated).", "{invalidation}")
	t.challenges = counter(m, &errs, "tokenplug.challenges", "Servers' challenges (WWW-Authenticate) handed to the provider, by outcome.", "{challenge}")
	var err error
	if t.fetchDuration, err = m.Float64Histogram("tokenplug.fetch.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of upstream token fetches, plugin start included.")); err != nil {
		errs, t.fetchDuration = append(errs, err), noop.Float64Histogram{}
	}
	if t.expiry, err = m.Float64ObservableGauge("tokenplug.token.expiry", metric.WithUnit("s"),
		metric.WithDescription("Seconds until the cached token expires (negative: expired, not renewed).")); err != nil {
		errs, t.expiry = append(errs, err), noop.Float64ObservableGauge{}
	}
	if err := errors.Join(errs...); err != nil {
		log.Warn("tokenplug: some metrics are not recorded", "error", err.Error())
	}
	return t
}

func counter(m metric.Meter, errs *[]error, name, desc, unit string) metric.Int64Counter {
	c, err := m.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit(unit))
	if err != nil {
		*errs = append(*errs, err)
		return noop.Int64Counter{}
	}
	return c
}

// kindWord is an error's kind as an attribute value.
func kindWord(err error) string {
	switch tokenplug.KindOf(err) {
	case tokenplug.KindPermanent:
		return "permanent"
	case tokenplug.KindRateLimited:
		return "rate_limited"
	case tokenplug.KindConfig:
		return "configuration"
	}
	return "temporary"
}

// outcome is the outcome attributes of err: ok, or error and its kind.
func outcome(err error) []attribute.KeyValue {
	if err == nil {
		return []attribute.KeyValue{attrOutcome.String("ok")}
	}
	return []attribute.KeyValue{attrOutcome.String("error"), attrErrKind.String(kindWord(err))}
}

// upstream wraps a provider's fetch through its plugin in a span and
// records its outcome and duration (on the machine's clock).
func (t *telemetry) upstream(provider string, fetch fetchFunc) fetchFunc {
	if t == nil {
		return fetch
	}
	return func(ctx context.Context, force bool) (*oauth2.Token, error) {
		ctx, span := t.tracer.Start(ctx, "tokenplug.fetch", trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attrProvider.String(provider), attrForce.Bool(force)))
		defer span.End()
		start := time.Now()
		tok, err := fetch(ctx, force)
		took := time.Since(start).Seconds()
		res := err
		if err == nil && (tok == nil || tok.AccessToken == "") {
			res = tokenplug.Temporary(errEmptyToken)
		}
		attrs := append(outcome(res), attrProvider.String(provider))
		t.fetches.Add(ctx, 1, metric.WithAttributes(attrs...))
		t.fetchDuration.Record(ctx, took, metric.WithAttributes(attrs[0], attrProvider.String(provider)))
		span.SetAttributes(outcome(res)...)
		if res != nil {
			span.SetStatus(codes.Error, kindWord(res)) // never the message
		}
		return tok, err
	}
}

// observeExpiry reports the seconds until provider's cached token (read
// from cur, no lock) expires, each time the metrics are collected. The
// returned func stops it.
func (t *telemetry) observeExpiry(provider string, cur *atomic.Pointer[entry], now func() time.Time) func() {
	if t == nil {
		return func() {}
	}
	attrs := metric.WithAttributes(attrProvider.String(provider))
	reg, err := t.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		if e := cur.Load(); e != nil && !e.tok.Expiry.IsZero() {
			o.ObserveFloat64(t.expiry, e.tok.Expiry.Sub(now()).Seconds(), attrs)
		}
		return nil
	}, t.expiry)
	if err != nil {
		return func() {}
	}
	return func() { _ = reg.Unregister() }
}

// refreshFailed counts a failed fetch that callers do not see: the cached
// token e is still valid at now.
func (t *telemetry) refreshFailed(provider string, e *entry, now time.Time, err error) {
	if t == nil || e == nil || !e.valid(now) {
		return
	}
	t.refreshFails.Add(context.Background(), 1, metric.WithAttributes(attrProvider.String(provider), attrErrKind.String(kindWord(err))))
}

// pluginStarted counts a start of plugin (its binary's name) and its
// outcome. A start serves every provider of a shared process: it is the
// plugin's, not the provider's whose call needed it.
func (t *telemetry) pluginStarted(plugin string, err error) {
	if t == nil {
		return
	}
	attrs := append(outcome(err), attrPlugin.String(plugin))
	t.starts.Add(context.Background(), 1, metric.WithAttributes(attrs...))
}

// pluginRestart counts plugin (its binary's name) being replaced, and
// why: exited, unresponsive (failed its health check) or died_in_fetch.
func (t *telemetry) pluginRestart(plugin, reason string) {
	if t == nil {
		return
	}
	t.restarts.Add(context.Background(), 1, metric.WithAttributes(attrPlugin.String(plugin), attrReason.String(reason)))
}

// invalidated counts a rejected token: dropped, or kept because it was
// fetched within the invalidation window.
func (t *telemetry) invalidated(provider string, dropped bool) {
	if t == nil {
		return
	}
	res := "kept"
	if dropped {
		res = "dropped"
	}
	t.invalidations.Add(context.Background(), 1, metric.WithAttributes(attrProvider.String(provider), attrResult.String(res)))
}

// cacheLookup is one consultation of the shared cache tier: whether it
// called fetch, and whether it did so because of its own trouble.
type cacheLookup struct{ fetched, fellBack atomic.Bool }

type cacheLookupKey struct{}

// ReportCacheFallback tells the host that a SharedCache fetches without its
// shared tier, because of its own trouble (its store is down or slow): call
// it with the context Token got, before calling fetch. The host then counts
// the lookup as a fallback, not a miss (tokenplug.shared_cache.lookups).
// Outside a SharedCache's Token it does nothing.
func ReportCacheFallback(ctx context.Context) {
	if l, ok := ctx.Value(cacheLookupKey{}).(*cacheLookup); ok {
		l.fellBack.Store(true)
	}
}

// cacheLookupStart returns ctx carrying a new cacheLookup.
func cacheLookupStart(ctx context.Context) (context.Context, *cacheLookup) {
	l := &cacheLookup{}
	return context.WithValue(ctx, cacheLookupKey{}, l), l
}

// cacheLookupDone counts a lookup: hit (a stored token, no fetch), miss
// (this process fetched for the others), fallback (the tier failed and
// this process fetched alone) or error (the tier failed the call).
func (t *telemetry) cacheLookupDone(provider string, l *cacheLookup, err error) {
	if t == nil {
		return
	}
	res := "hit"
	switch {
	case l.fellBack.Load():
		res = "fallback"
	case l.fetched.Load():
		res = "miss"
	case err != nil:
		res = "error"
	}
	t.cacheLookups.Add(context.Background(), 1, metric.WithAttributes(attrProvider.String(provider), attrResult.String(res)))
}
