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
