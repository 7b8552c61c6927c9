package host

import (
	"math/rand/v2"
	"time"
)

// Backoff is the retry schedule for failed token fetches and plugin starts:
// exponential from Base to Max, with full jitter in [d/2, d) so a fleet that
// failed together does not retry together. A provider's retry-after (429)
// overrides it when longer.
type Backoff struct {
	Base time.Duration // first delay; default 200ms
	Max  time.Duration // cap; default 30s
}

func (b Backoff) withDefaults() Backoff {
	if b.Base <= 0 {
		b.Base = 200 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 30 * time.Second
	}
	return b
}

// delay returns the wait after the n-th consecutive failure (n >= 1).
func (b Backoff) delay(n int) time.Duration {
	d := b.Base
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	return d/2 + rand.N(d/2+1)
}

// gate holds back retries after failures, for token fetches (Source) and
// plugin starts (process): after the n-th consecutive failure, nothing is
// tried again until its backoff has passed, and callers get the last error
// meanwhile. Its owner's mutex guards it.
type gate struct {
	failures  int       // consecutive failures
	notBefore time.Time // no try before this
	lastErr   error     // why the last try failed
}

// blocked returns the last failure's error while its backoff lasts, else
// nil: a try may go ahead.
func (g *gate) blocked(now time.Time) error {
	if g.lastErr != nil && now.Before(g.notBefore) {
		return g.lastErr
	}
	return nil
}

// fail records a failed try at now. The next waits b's delay for this
// failure, or atLeast when that is longer (a provider's retry-after).
// It returns the failure's number and the wait.
func (g *gate) fail(err error, now time.Time, b Backoff, atLeast time.Duration) (int, time.Duration) {
	g.failures++
	d := max(b.delay(g.failures), atLeast)
	g.notBefore, g.lastErr = now.Add(d), err
	return g.failures, d
}

// succeed records a successful try: the next failure starts the schedule
// over.
func (g *gate) succeed() { *g = gate{} }

// wait returns how long from now until the next try may go ahead.
func (g *gate) wait(now time.Time) time.Duration { return g.notBefore.Sub(now) }
