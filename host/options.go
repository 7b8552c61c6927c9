package host

import (
	"crypto/cipher"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/tokenplug/tokenplug/internal/launch"
)

// Option configures a Registry.
type Option func(*options)

type options struct {
	logger         *slog.Logger
	pluginDir      string
	env            []string
	envValues      []string // WithPluginEnv: NAME=value, after env
	builtins       map[string][]string
	now            func() time.Time
	clockSet       bool // WithClock was given: now is not the machine's clock
	backoff        Backoff
	fetchTimeout   time.Duration
	startTimeout   time.Duration
	pingTimeout    time.Duration
	expiryDelta    time.Duration
	refreshRatio   float64
	cache          SharedCache      // nil: in-memory only
	replaced       []SharedCache    // caches a later WithCache replaced, for NewRegistry to close
	warmOnRegister bool             // WithWarmOnRegister
	tls            *launch.Identity // the host's certificate towards its plugins
	memory         cipher.AEAD      // seals providers' settings updates in memory (settingsupdate.go)

	meterProvider  metric.MeterProvider // nil: the global one
	tracerProvider trace.TracerProvider // nil: the global one
	tel            *telemetry           // set by NewRegistry (metrics.go)

	invalidationWindow time.Duration
	maxRetryAfter      time.Duration
}

func defaultOptions() options {
	return options{
		logger:       slog.Default(),
		env:          append([]string(nil), DefaultEnv...),
		builtins:     map[string][]string{},
		now:          time.Now,
		backoff:      Backoff{}.withDefaults(),
		fetchTimeout: 30 * time.Second, // generous for a vendor token endpoint; callers' contexts bound their own waits
		startTimeout: 10 * time.Second, // a plugin that has not handshaken by then is broken
		pingTimeout:  2 * time.Second,  // a healthy plugin answers in well under a millisecond
		expiryDelta:  10 * time.Second, // as x/oauth2: do not hand out a token about to expire in flight
		refreshRatio: 0.8,              // refresh at 80% of the lifetime, as IBM and Google advise
		tls:          new(launch.Identity),
		memory:       newMemoryKey(),

		invalidationWindow: 30 * time.Second, // azcore's pause between token refresh attempts
		maxRetryAfter:      10 * time.Minute, // longer than any sane rate limit, short enough to recover from a bogus header
	}
}

// WithLogger sets the logger for the registry and for plugin output
// (bridged from go-plugin's hclog). Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithPluginDir adds a directory searched for tokenplug-<plugin> binaries
// before $PATH.
func WithPluginDir(dir string) Option { return func(o *options) { o.pluginDir = dir } }

// WithEnv allows more environment variables through to plugins, in addition
// to DefaultEnv. Never list a variable that holds a secret.
func WithEnv(names ...string) Option {
	return func(o *options) { o.env = append(o.env, names...) }
}

// WithBuiltin makes plugin name run as argv (argv[0] the executable) instead
// of a tokenplug-<name> binary. The tokenplug CLI uses it to serve its
// built-in providers by re-executing itself.
func WithBuiltin(name string, argv ...string) Option {
	return func(o *options) { o.builtins[name] = argv }
}

// WithBackoff sets the retry schedule for failed fetches and plugin starts.
func WithBackoff(b Backoff) Option { return func(o *options) { o.backoff = b.withDefaults() } }

// WithFetchTimeout bounds one token fetch through a plugin (default 30s).
// It is independent of callers' contexts: a caller that gives up does not
// cancel the fetch others are waiting for.
func WithFetchTimeout(d time.Duration) Option { return func(o *options) { o.fetchTimeout = d } }

// WithStartTimeout bounds a plugin's start and handshake (default 10s).
func WithStartTimeout(d time.Duration) Option { return func(o *options) { o.startTimeout = d } }

// WithClock replaces time.Now for expiry and refresh decisions; for tests.
// Plugins run on the machine's clock: the expiry and refresh hint of a
// fetched token are carried over to this clock as durations from the moment
// the token arrives, so a test can move its clock past token lifetimes.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now, o.clockSet = now, true }
}

// WithRefresh sets when a token is renewed: at ratio of its lifetime (default
// 0.8) unless the provider hints otherwise, and treated as expired delta
// before its expiry (default 10s), so that a request handed the token
// reaches the server before it expires.
//
// Short-lived tokens: for a token that lives less than 4×delta, the margin
// is a quarter of its lifetime instead, but never less than one second
// (nor more than delta). A 12s token is handed out for 9s, a 2s token for
// 1s. Its refresh then starts at ratio of that usable time (7.2s for the
// 12s token), so callers keep the current token while the next is fetched.
// A token with less than its margin left when it arrives is never handed
// out: the fetch counts as failed (see Source).
func WithRefresh(ratio float64, delta time.Duration) Option {
	return func(o *options) { o.refreshRatio, o.expiryDelta = ratio, delta }
}

// WithInvalidationWindow sets how long a token fetched after an
// invalidation is kept even if a server rejects it too (default 30s, as
// azcore waits between refresh attempts). An API that answers 401 to every
// request then costs one upstream fetch per window instead of one per
// request; the 401s still reach the caller. Zero or less: every
// invalidation drops the token.
func WithInvalidationWindow(d time.Duration) Option {
	return func(o *options) { o.invalidationWindow = d }
}

// WithMaxRetryAfter caps the retry-after a provider passes on from a 429
// (default 10 minutes), so that one bogus Retry-After header cannot block
// a provider for a year. A still-valid token is served meanwhile, as for
// any failed refresh. Zero or less ignores retry-after: backoff only.
func WithMaxRetryAfter(d time.Duration) Option { return func(o *options) { o.maxRetryAfter = d } }

// WithCache adds a shared token cache (see SharedCache, rediscache.New)
// behind every provider's in-memory cache, so that many processes fetch
// one token instead of one each. The Registry owns c from then on: Close
// closes it. A later WithCache replaces c, and NewRegistry closes it then.
// Without it, each process caches its tokens in memory only.
func WithCache(c SharedCache) Option {
	return func(o *options) {
		if o.cache != nil && o.cache != c {
			o.replaced = append(o.replaced, o.cache)
		}
		o.cache = c
	}
}

// WithWarmOnRegister makes Register start each provider's plugin and fetch
// its first token at once, in the background, as Warm does, so that the
// first request finds a token waiting. A failure is logged and reported
// again by the next Token call. The goroutines are the Registry's: Close
// ends them. Call Warm instead to wait for the providers and see their
// errors.
func WithWarmOnRegister() Option { return func(o *options) { o.warmOnRegister = true } }
