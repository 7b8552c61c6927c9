package transport

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokenplug/tokenplug/hostmatch"
)

// WithLogger sets the logger that hears, at debug level, of each request
// a Transport sent without the token because its host is not among the
// provider's hosts (or a redirect left the first request's origin): a
// request that gets a 401 for want of a token is never silent. It logs
// once per host (scheme, host and port, never a path or query), naming the
// provider and its host patterns; past maxQuietHosts distinct hosts, at
// most once a minute. By default it is slog.Default(), whose default
// handler drops debug records: raise its level, or pass a logger, to see
// them (tokenplug get -v does).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// maxQuietHosts bounds the hosts a Transport remembers having logged, so
// that requests to endless distinct hosts cannot grow its memory.
const maxQuietHosts = 256

// notSentEvery is how often a Transport that remembers maxQuietHosts hosts
// still logs a new one.
const notSentEvery = time.Minute

// notSent logs requests sent without the token. Safe for concurrent use.
type notSent struct {
	logger *slog.Logger // nil: slog.Default() at each log
	seen   sync.Map     // host -> struct{}: logged once already
	count  atomic.Int32 // entries in seen
	last   atomic.Int64 // unix nanoseconds of the last log past the cap
}

// log records that req, bound for a host outside sc (or a redirect that
// left its origin), is sent without provider's token.
func (n *notSent) log(req *http.Request, provider string, sc *hostmatch.Scope) {
	l := n.logger
	if l == nil {
		l = slog.Default()
	}
	ctx := req.Context()
	if req.URL == nil || !l.Enabled(ctx, slog.LevelDebug) {
		return
	}
	host := strings.ToLower(req.URL.Scheme + "://" + req.URL.Host)
	if !n.first(host) {
		return
	}
	reason := "its host is not among the provider's hosts"
	if sc.Hosts().MatchURL(req.URL) {
		reason = "a redirect left the first request's origin"
	}
	l.LogAttrs(context.WithoutCancel(ctx), slog.LevelDebug, "tokenplug/transport: request sent without a token: "+reason,
		slog.String("provider", provider), slog.String("host", host), slog.String("hosts", sc.Hosts().String()))
}

// first reports whether host is to be logged: the first time it is seen,
// and past the cap at most once per notSentEvery.
func (n *notSent) first(host string) bool {
	if _, ok := n.seen.Load(host); ok {
		return false
	}
	if n.count.Load() < maxQuietHosts {
		if _, loaded := n.seen.LoadOrStore(host, struct{}{}); loaded {
			return false
		}
		n.count.Add(1)
		return true
	}
	now, last := time.Now().UnixNano(), n.last.Load()
	return now-last >= int64(notSentEvery) && n.last.CompareAndSwap(last, now)
}
