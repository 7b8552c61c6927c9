package host

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/plugin"
)

// fetchFunc gets a new token from upstream (through the plugin, or through
// the shared cache tier in front of it).
type fetchFunc func(ctx context.Context, force bool) (*oauth2.Token, error)

// Source hands out one provider's token. It is safe for concurrent use.
//
// A valid cached token is returned by an atomic load: no lock, no RPC. When
// the token reaches its refresh point (80% of its lifetime, or the
// provider's hint) the next caller starts one background refresh and keeps
// getting the current token. When there is no valid token, callers wait for
// a single fetch shared by all of them, each bounded by its own context; a
// caller that gives up does not cancel the fetch for the others.
//
// A failed fetch is retried with exponential backoff and jitter (longer if
// the provider passed on a 429's retry-after, capped by WithMaxRetryAfter).
// A token that is already expired, or inside its expiry margin, when it
// arrives (a skewed clock) is a failed fetch too: it is never handed out.
// Until the current token expires, callers never see the failure; after
// it, they get an *Error naming the provider and the kind of failure.
//
// Callers must not modify the returned token.
type Source struct {
	name  string
	hosts []string
	proc  *process
	fetch fetchFunc
	o     *options
	log   *slog.Logger

	cur        atomic.Pointer[entry] // the cached token, or nil
	force      atomic.Bool           // the next fetch asks for force_refresh
	refreshing atomic.Bool           // a background refresh is running
	sf         singleflight.Group
	scope      scopeState   // where the token may go (scope.go)
	unobserve  func()       // stops the expiry gauge's callback (metrics.go)
	ch         challengeSet // tokens answering servers' challenges (challenge.go)

	ctx    context.Context // bounds fetches; cancelled by close
	cancel context.CancelFunc

	mu     sync.Mutex     // guards the fields below, and wg.Add against close
	closed error          // non-nil once closed: ErrClosed or ErrRemoved
	wg     sync.WaitGroup // background refreshes and fetches in flight
	gate   gate           // backoff after failed fetches (and retry-after)
}

func newSource(name string, hosts []string, fetch fetchFunc, o *options) *Source {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Source{name: name, hosts: hosts, fetch: fetch, o: o, log: o.logger.With("provider", name), ctx: ctx, cancel: cancel}
	s.unobserve = o.tel.observeExpiry(name, &s.cur, o.now)
	return s
}

// Name returns the provider's registered name.
func (s *Source) Name() string { return s.name }

// Hosts returns the host patterns configured for the provider (nil: none
// configured, so its plugin's default hosts apply; see HostScope and
// EffectiveHosts).
func (s *Source) Hosts() []string { return slices.Clone(s.hosts) }

// Token returns a valid token, fetching one if needed. ctx bounds only this
// caller's wait.
func (s *Source) Token(ctx context.Context) (*oauth2.Token, error) {
	if e := s.cur.Load(); e != nil {
		now := s.o.now()
		if e.fresh(now) {
			return e.tok, nil
		}
		if e.valid(now) {
			s.refreshAsync()
			return e.tok, nil
		}
	}
	return s.wait(ctx)
}

// TokenSource returns s as an oauth2.TokenSource, for APIs that take one.
// Its Token calls wait without a deadline of their own: prefer Token(ctx).
func (s *Source) TokenSource() oauth2.TokenSource { return tokenSource{s} }

type tokenSource struct{ s *Source }

func (t tokenSource) Token() (*oauth2.Token, error) { return t.s.Token(context.Background()) }

// Invalidate drops the cached token if it is still rejected (compared by
// access token; nil drops whatever is cached), so the next Token call
// fetches a new one with force_refresh. transport and grpccreds call it when
// a server answers 401 / Unauthenticated. A rejected token that answered a
// challenge (TokenForChallenge) is dropped from the challenge tokens by the
// same rules, and the default token is kept.
//
// A token that was itself fetched because its predecessor was invalidated
// is not dropped again within the invalidation window (30s by default, see
// WithInvalidationWindow; azcore waits as long between refresh attempts):
// an API that rejects every token then costs one upstream fetch per window,
// not one per request. Its 401s still reach the callers.
func (s *Source) Invalidate(rejected *oauth2.Token) {
	e := s.cur.Load()
	if e == nil || (rejected != nil && rejected.AccessToken != e.tok.AccessToken) {
		s.ch.invalidate(s, rejected) // perhaps a token answering a challenge
		return
	}
	if e.forced && s.o.now().Before(e.fetchedAt.Add(s.o.invalidationWindow)) {
		s.log.Debug("token rejected again within the invalidation window; keeping it", "window", s.o.invalidationWindow)
		s.o.tel.invalidated(s.name, false)
		return
	}
	if s.cur.CompareAndSwap(e, nil) {
		s.force.Store(true)
		s.log.Debug("token invalidated")
		s.o.tel.invalidated(s.name, true)
	}
}

// Describe returns the plugin's description, starting it if needed.
func (s *Source) Describe(ctx context.Context) (plugin.Description, error) {
	if s.proc == nil {
		return plugin.Description{}, nil
	}
	d, err := s.proc.describe(ctx)
	return d, wrapErr(s.name, err)
}

// wait joins (or starts) the one fetch in flight.
func (s *Source) wait(ctx context.Context) (*oauth2.Token, error) {
	return s.await(ctx, s.sf.DoChan("token", s.flight))
}

// await returns the result of the fetch in flight behind ch, or gives up
// when ctx is done (the fetch goes on for the callers still waiting).
func (s *Source) await(ctx context.Context, ch <-chan singleflight.Result) (*oauth2.Token, error) {
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*oauth2.Token), nil
	case <-ctx.Done():
		return nil, &Error{Provider: s.name, Kind: tokenplug.KindTemporary, Err: ctx.Err()}
	}
}

// flight is the body of the single shared fetch.
func (s *Source) flight() (any, error) {
	if !s.enter() {
		return nil, s.closedErr()
	}
	defer s.wg.Done()
	now := s.o.now()
	if e := s.cur.Load(); e != nil && e.fresh(now) {
		return e.tok, nil // filled by the flight that just ended
	}
	s.mu.Lock()
	lastErr := s.gate.blocked(now)
	s.mu.Unlock()
	if lastErr != nil {
		return nil, lastErr // backing off: do not hammer a failing upstream
	}
	force := s.force.Swap(false)
	ctx, cancel := context.WithTimeout(s.ctx, s.o.fetchTimeout)
	defer cancel()
	tok, err := s.fetch(ctx, force)
	if err == nil && (tok == nil || tok.AccessToken == "") {
		err = tokenplug.Temporary(errEmptyToken)
	}
	var e *entry
	if err == nil {
		e, err = arrived(tok, s.o.now(), s.o)
	}
	if err != nil {
		if s.ctx.Err() != nil {
			// Closed or removed mid-fetch: that, not the cancelled
			// fetch, is the answer, and it is no failure to back off from.
			return nil, s.closedErr()
		}
		if force {
			s.force.Store(true)
		}
		return nil, s.failed(err)
	}
	e.forced = force
	s.cur.Store(e)
	s.mu.Lock()
	s.gate.succeed()
	s.mu.Unlock()
	return tok, nil
}

var errEmptyToken = errorString("provider returned an empty token")

type errorString string

func (e errorString) Error() string { return string(e) }

// failed records a failed fetch and schedules the next attempt.
func (s *Source) failed(err error) error {
	err = wrapErr(s.name, err)
	// A vendor's retry-after is capped: one absurd header must not block
	// the provider for a year.
	ra := min(tokenplug.RetryAfterOf(err), s.o.maxRetryAfter)
	s.mu.Lock()
	n, d := s.gate.fail(err, s.o.now(), s.o.backoff, ra)
	s.mu.Unlock()
	s.log.Warn("token fetch failed", "attempt", n, "retry_in", d.Round(time.Millisecond), "error", err.Error())
	s.o.tel.refreshFailed(s.name, s.cur.Load(), s.o.now(), err)
	return err
}

// refreshAsync starts one background refresh unless one is running. The
// flag is set before the goroutine starts, so two callers cannot both start
// one.
func (s *Source) refreshAsync() { s.background(&s.refreshing, s.refreshLoop) }

// background runs loop in a goroutine the source owns unless running is
// set (or the source is closed); running is set until loop returns.
func (s *Source) background(running *atomic.Bool, loop func()) {
	if !running.CompareAndSwap(false, true) {
		return
	}
	if !s.enter() {
		running.Store(false)
		return
	}
	go func() {
		defer s.wg.Done()
		defer running.Store(false)
		loop()
	}()
}

// refreshLoop fetches until it succeeds, the token expires (callers then
// drive fetches themselves), or the source closes.
func (s *Source) refreshLoop() {
	for {
		if _, err, _ := s.sf.Do("token", s.flight); err == nil {
			return
		}
		if e := s.cur.Load(); e == nil || !e.valid(s.o.now()) {
			return
		}
		s.mu.Lock()
		wait := s.gate.wait(s.o.now())
		s.mu.Unlock()
		if !s.pause(wait) {
			return
		}
	}
}

// pause waits d (at least a millisecond) and reports whether the source
// is still open.
func (s *Source) pause(d time.Duration) bool {
	t := time.NewTimer(max(d, time.Millisecond))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// enter registers background work unless the source is closed.
func (s *Source) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed != nil {
		return false
	}
	s.wg.Add(1)
	return true
}

// closedErr is what a closed source answers: its registry was closed
// (temporary, as it always was), or it was removed (permanent: the name
// is gone).
func (s *Source) closedErr() error {
	s.mu.Lock()
	why := s.closed
	s.mu.Unlock()
	kind := tokenplug.KindTemporary
	if why == ErrRemoved {
		kind = tokenplug.KindPermanent
	}
	return &Error{Provider: s.name, Kind: kind, Err: why}
}

// close stops background work, waits for it, drops the cached token so
// that no caller gets it any more, and stops the plugin. why is what the
// source answers from then on: ErrClosed or ErrRemoved.
func (s *Source) close(why error) {
	s.mu.Lock()
	s.closed = why
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	// Nothing stores a token once wg is done and enter refuses.
	s.cur.Store(nil)
	s.unobserve()
	if s.proc != nil {
		s.proc.close()
	}
}
