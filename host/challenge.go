package host

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/metric"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/internal/wwwauth"
	"github.com/tokenplug/tokenplug/plugin"
)

var _ tokenplug.ChallengeSource = (*Source)(nil)

// maxChallenges bounds the challenge tokens a Source keeps: a server that
// sends a new challenge with every response cannot grow the host's memory,
// only evict the least recently used entry.
const maxChallenges = 16

// challengeSet holds a Source's tokens for challenges, one entry per
// normalized challenge (wwwauth.Normalize), apart from its default token.
type challengeSet struct {
	mu   sync.Mutex                 // guards m, clock and the entries' used and gate
	m    map[string]*challengeEntry // by normalized challenge
	tick uint64                     // the LRU clock

	unsupported atomic.Bool // the provider's instance said it answers no challenges
}

// challengeEntry is the token answering one challenge, kept and renewed by
// the rules of the default token (newEntry, arrived, the invalidation
// window, backoff).
type challengeEntry struct {
	key        string              // the normalized challenge
	c          tokenplug.Challenge // normalized
	cur        atomic.Pointer[entry]
	force      atomic.Bool // the next fetch follows an invalidation
	refreshing atomic.Bool
	rejected   atomic.Pointer[string] // with force: the access token a server refused
	used       uint64                 // last use on the set's clock; guarded by the set's mu
	gate       gate                   // guarded by the set's mu
}

// TokenForChallenge returns a token answering a server's Bearer challenge
// (RFC 6750 §3; tokenplug.ChallengeSource). It neither uses nor replaces
// the cached default token: the token is cached under the provider and the
// challenge's normalized form (its scopes sorted), renewed like the
// default token, fetched once for concurrent callers, and shared through
// the shared cache tier under a key of its own. A Source keeps at most 16
// challenge tokens, evicting the least recently used.
//
// A provider whose plugin does not answer challenges (its SDK predates
// them, or its configuration's token source cannot) gets an *Error
// wrapping plugin.ErrChallengeUnsupported, permanent, without a fetch. A
// challenge the provider's settings do not allow (a scope beyond its
// challenge_scopes) comes back as the provider's permanent error.
func (s *Source) TokenForChallenge(ctx context.Context, c tokenplug.Challenge) (*oauth2.Token, error) {
	c, key := wwwauth.Normalize(c)
	code := wwwauth.ErrorCode(c)
	if err := s.answersChallenges(ctx); err != nil {
		s.o.tel.challenge(s.name, code, outcomeOf(err))
		s.log.Debug("challenge not answered: the plugin answers no challenges", "error", code)
		return nil, err
	}
	ce := s.ch.get(key, c)
	if e := ce.cur.Load(); e != nil {
		now := s.o.now()
		if e.fresh(now) {
			s.o.tel.challenge(s.name, code, "cached")
			return e.tok, nil
		}
		if e.valid(now) {
			s.refreshChallengeAsync(ce)
			s.o.tel.challenge(s.name, code, "cached")
			return e.tok, nil
		}
	}
	tok, err := s.waitChallenge(ctx, ce)
	s.o.tel.challenge(s.name, code, outcomeOf(err))
	if err != nil {
		// The scope is the server's word, not a secret: it tells the
		// user what to allow (challenge_scopes, for oauth2).
		s.log.Debug("challenge not answered", "error", code, "scope", c.Scope, "cause", err.Error())
	}
	return tok, err
}

// outcomeOf is the tokenplug.challenges outcome of an answer.
func outcomeOf(err error) string {
	switch {
	case err == nil:
		return "answered"
	case errors.Is(err, plugin.ErrChallengeUnsupported):
		return "unsupported"
	case errors.Is(err, tokenplug.ErrPermanent):
		return "refused"
	}
	return "failed"
}

// answersChallenges returns nil if the provider's plugin reads challenges,
// else why not.
func (s *Source) answersChallenges(ctx context.Context) error {
	if s.ch.unsupported.Load() || s.proc == nil {
		return s.unsupported()
	}
	d, err := s.Describe(ctx)
	if err != nil {
		return err
	}
	if !d.AnswersChallenges {
		s.ch.unsupported.Store(true)
		return s.unsupported()
	}
	return nil
}

func (s *Source) unsupported() error {
	return &Error{Provider: s.name, Kind: tokenplug.KindPermanent, Err: plugin.ErrChallengeUnsupported}
}

// get returns the entry for key, creating it, and evicting the least
// recently used entry when the set is full.
func (cs *challengeSet) get(key string, c tokenplug.Challenge) *challengeEntry {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.tick++
	if ce, ok := cs.m[key]; ok {
		ce.used = cs.tick
		return ce
	}
	if cs.m == nil {
		cs.m = map[string]*challengeEntry{}
	}
	if len(cs.m) >= maxChallenges {
		var old *challengeEntry
		for _, ce := range cs.m {
			if old == nil || ce.used < old.used {
				old = ce
			}
		}
		delete(cs.m, old.key) // a fetch in flight for it still ends; its token is dropped
	}
	ce := &challengeEntry{key: key, c: c, used: cs.tick}
	cs.m[key] = ce
	return ce
}

// invalidate drops the challenge token a server rejected, by the rules of
// Source.Invalidate (a token fetched after an invalidation is kept within
// the invalidation window).
func (cs *challengeSet) invalidate(s *Source, rejected *oauth2.Token) {
	if rejected == nil {
		return
	}
	cs.mu.Lock()
	var hit *challengeEntry
	for _, ce := range cs.m {
		if e := ce.cur.Load(); e != nil && e.tok.AccessToken == rejected.AccessToken {
			hit = ce
		}
	}
	cs.mu.Unlock()
	if hit == nil {
		return
	}
	e := hit.cur.Load()
	if e == nil || e.forced && s.o.now().Before(e.fetchedAt.Add(s.o.invalidationWindow)) {
		return
	}
	if hit.cur.CompareAndSwap(e, nil) {
		hit.rejected.Store(&e.tok.AccessToken)
		hit.force.Store(true)
		s.log.Debug("challenge token invalidated")
	}
}

// waitChallenge joins (or starts) the one fetch in flight for ce.
func (s *Source) waitChallenge(ctx context.Context, ce *challengeEntry) (*oauth2.Token, error) {
	return s.await(ctx, s.sf.DoChan("challenge\x00"+ce.key, func() (any, error) { return s.challengeFlight(ce) }))
}

// challengeFlight is the body of the single shared fetch for ce.
func (s *Source) challengeFlight(ce *challengeEntry) (any, error) {
	if !s.enter() {
		return nil, s.closedErr()
	}
	defer s.wg.Done()
	now := s.o.now()
	if e := ce.cur.Load(); e != nil && e.fresh(now) {
		return e.tok, nil
	}
	s.ch.mu.Lock()
	lastErr := ce.gate.blocked(now)
	s.ch.mu.Unlock()
	if lastErr != nil {
		return nil, lastErr
	}
	e, err := s.fetchChallenge(ce)
	if err != nil {
		if s.ctx.Err() != nil {
			return nil, s.closedErr()
		}
		return nil, s.challengeFailed(ce, err)
	}
	ce.cur.Store(e)
	s.ch.mu.Lock()
	ce.gate.succeed()
	s.ch.mu.Unlock()
	return e.tok, nil
}

// fetchChallenge fetches a token for ce through the provider's fetch
// layers (clock, shared cache, telemetry, plugin), which find the
// challenge on the context.
func (s *Source) fetchChallenge(ce *challengeEntry) (*entry, error) {
	force := ce.force.Swap(false)
	cf := &challengeFetch{c: ce.c, key: ce.key}
	if r := ce.rejected.Load(); force && r != nil {
		cf.rejected = *r
	}
	ctx, cancel := context.WithTimeout(context.WithValue(s.ctx, challengeFetchKey{}, cf), s.o.fetchTimeout)
	defer cancel()
	tok, err := s.fetch(ctx, force)
	if err == nil && (tok == nil || tok.AccessToken == "") {
		err = tokenplug.Temporary(errEmptyToken)
	}
	if err != nil {
		if force {
			ce.force.Store(true)
		}
		return nil, err
	}
	e, err := arrived(tok, s.o.now(), s.o)
	if e != nil {
		e.forced = force
	}
	return e, err
}

// challengeFailed records a failed challenge fetch for ce's backoff. An
// instance that answers no challenges is remembered: no more are sent.
func (s *Source) challengeFailed(ce *challengeEntry, err error) error {
	err = wrapErr(s.name, err)
	if errors.Is(err, plugin.ErrChallengeUnsupported) {
		s.ch.unsupported.Store(true)
	}
	ra := min(tokenplug.RetryAfterOf(err), s.o.maxRetryAfter)
	s.ch.mu.Lock()
	ce.gate.fail(err, s.o.now(), s.o.backoff, ra)
	s.ch.mu.Unlock()
	return err
}

// refreshChallengeAsync starts one background refresh of ce unless one is
// running; like refreshAsync, it retries until it succeeds, the token
// expires, or the source closes.
func (s *Source) refreshChallengeAsync(ce *challengeEntry) {
	s.background(&ce.refreshing, func() {
		for {
			_, err, _ := s.sf.Do("challenge\x00"+ce.key, func() (any, error) { return s.challengeFlight(ce) })
			if e := ce.cur.Load(); err == nil || e == nil || !e.valid(s.o.now()) {
				return
			}
			s.ch.mu.Lock()
			wait := ce.gate.wait(s.o.now())
			s.ch.mu.Unlock()
			if !s.pause(wait) {
				return
			}
		}
	})
}

// challengeFetch rides on a fetch's context when the fetch answers a
// challenge, so that the fetch layers (clock, shared cache, telemetry,
// plugin call) keep one signature: the shared cache keys the token by it
// and the plugin call sends it.
type challengeFetch struct {
	c        tokenplug.Challenge
	key      string // the normalized challenge
	rejected string // with force: the access token a server refused
}

type challengeFetchKey struct{}

// challengeOf returns the challenge a fetch answers, or nil for the
// default token.
func challengeOf(ctx context.Context) *challengeFetch {
	cf, _ := ctx.Value(challengeFetchKey{}).(*challengeFetch)
	return cf
}

// challengeSetting is the pseudo-setting that puts a challenge into a
// shared cache key (SharedCache.Key): setting keys are snake_case, so it
// cannot collide with one.
const challengeSetting = "tokenplug:challenge"

// callToken asks the plugin instance for the default token, or, on a
// challenge fetch, for a token answering the challenge; never a challenge
// to a plugin that does not read them.
func callToken(ctx context.Context, inst *instance, id string, force bool) (*oauth2.Token, error) {
	cf := challengeOf(ctx)
	if cf == nil {
		return inst.rpc.InstanceToken(ctx, id, force)
	}
	if !inst.desc.AnswersChallenges {
		return nil, tokenplug.Permanent(plugin.ErrChallengeUnsupported)
	}
	return inst.rpc.ChallengeToken(ctx, id, cf.c)
}

// challenge counts an answer to a challenge: the challenge's error code
// (one of RFC 6750's and RFC 9470's, "none" or "other": never the server's
// own text) and the outcome (answered, cached, refused, unsupported,
// failed).
func (t *telemetry) challenge(provider, code, outcome string) {
	if t == nil {
		return
	}
	t.challenges.Add(context.Background(), 1, metric.WithAttributes(attrProvider.String(provider), attrChallengeError.String(code), attrOutcome.String(outcome)))
}
