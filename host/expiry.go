package host

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/plugin"
)

// entry is an immutable cached token with its deadlines precomputed, so the
// hot path is a load and a time comparison.
type entry struct {
	tok       *oauth2.Token
	refreshAt time.Time // start a background refresh from here; zero: never
	expireAt  time.Time // stop handing it out from here; zero: never
	fetchedAt time.Time // when it arrived
	forced    bool      // fetched because its predecessor was invalidated
}

func (e *entry) fresh(now time.Time) bool { return e.refreshAt.IsZero() || now.Before(e.refreshAt) }
func (e *entry) valid(now time.Time) bool { return e.expireAt.IsZero() || now.Before(e.expireAt) }

// minMargin is the least expiry margin a short-lived token gets: a request
// handed a token must still reach the server before it expires.
const minMargin = time.Second

// margin is how long before its expiry a token of lifetime life stops being
// handed out: the expiry delta, or for a token living less than 4 deltas a
// quarter of its lifetime (so it is not "expired" for most of its life),
// but never less than minMargin (nor more than the delta).
func (o *options) margin(life time.Duration) time.Duration {
	return min(o.expiryDelta, max(life/4, minMargin))
}

func newEntry(tok *oauth2.Token, now time.Time, o *options) *entry {
	if tok.Expiry.IsZero() {
		return &entry{tok: tok, fetchedAt: now}
	}
	life := tok.Expiry.Sub(now)
	e := &entry{
		tok:       tok,
		fetchedAt: now,
		expireAt:  tok.Expiry.Add(-o.margin(life)),
		refreshAt: now.Add(time.Duration(float64(life) * o.refreshRatio)),
	}
	if hint := tokenplug.RefreshAtOf(tok); !hint.IsZero() && hint.Before(tok.Expiry) {
		e.refreshAt = hint
	}
	if e.refreshAt.After(e.expireAt) {
		// A short-lived token: refresh within its usable life, so callers
		// keep the current token while the next one is fetched.
		e.refreshAt = now.Add(time.Duration(float64(e.expireAt.Sub(now)) * o.refreshRatio))
	}
	return e
}

// errExpiredOnArrival marks a fetch whose token was already expired, or
// inside the expiry margin, when it arrived.
var errExpiredOnArrival = errorString("token expired on arrival")

// arrived checks a freshly fetched token and returns its entry. A token
// that is not valid on arrival is never handed out: it is a failed fetch
// (temporary, so backoff applies), most likely from a skewed clock.
func arrived(tok *oauth2.Token, now time.Time, o *options) (*entry, error) {
	e := newEntry(tok, now, o)
	if e.valid(now) {
		return e, nil
	}
	exp := tok.Expiry.UTC().Format(time.RFC3339)
	if left := tok.Expiry.Sub(now); left > 0 {
		return nil, tokenplug.Temporary(fmt.Errorf("%w: it expires at %s, %v after it arrived, within the expiry margin of %v; "+
			"the host clock may be ahead of the vendor's, or the token lives too short", errExpiredOnArrival, exp, left.Round(time.Millisecond), o.margin(left)))
	}
	ago := now.Sub(tok.Expiry).Round(time.Second)
	if life, ok := plugin.JWTLifetime(tok.AccessToken); ok && life > 0 {
		// The vendor stamped a sane lifetime (exp - iat) on a token
		// already past its exp on our clock: the clocks disagree.
		return nil, tokenplug.Temporary(fmt.Errorf("%w: it expired at %s, %v before it arrived; "+
			"the host clock may be ahead of the vendor's by at least %v", errExpiredOnArrival, exp, ago, ago))
	}
	// Nothing says the vendor's clock is to blame: a plugin that anchors
	// lifetimes at receipt gets a past expiry only from a lifetime that
	// was not positive, which it should have refused.
	return nil, tokenplug.Temporary(fmt.Errorf("%w: it expired at %s, %v before it arrived; "+
		"the plugin let a lifetime that was not positive through (plugin.ExpiryAfterSeconds refuses one)", errExpiredOnArrival, exp, ago))
}

// onHostClock carries the times of fetched tokens from the machine's clock,
// on which plugins run, over to the host's clock (WithClock), keeping the
// durations from the token's arrival. Without WithClock it is fetch itself.
func (o *options) onHostClock(fetch fetchFunc) fetchFunc {
	if !o.clockSet {
		return fetch
	}
	return func(ctx context.Context, force bool) (*oauth2.Token, error) {
		tok, err := fetch(ctx, force)
		if err != nil || tok == nil {
			return tok, err
		}
		return shiftTimes(tok, time.Until(o.now())), nil
	}
}

// shiftTimes returns a copy of tok with its expiry and refresh hint moved
// by d.
func shiftTimes(tok *oauth2.Token, d time.Duration) *oauth2.Token {
	at := tokenplug.RefreshAtOf(tok)
	if d == 0 || (tok.Expiry.IsZero() && at.IsZero()) {
		return tok
	}
	t := *tok
	if !t.Expiry.IsZero() {
		t.Expiry = t.Expiry.Add(d)
	}
	if !at.IsZero() {
		return tokenplug.WithRefreshAt(&t, at.Add(d))
	}
	return &t
}
