package plugintest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// tb is the part of *testing.T the kit's runs use, with sub-tests that
// take a tb, so that the kit's own tests can run it against a recorder and
// assert what it reports about a broken provider.
type tb interface {
	reporter
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Cleanup(f func())
	TempDir() string
	// run runs f as a sub-test named name, as testing.T.Run does.
	run(name string, f func(t tb)) bool
}

// realT is a *testing.T as a tb. Every function between the author's call
// to the kit and a check calls Helper, so failures point at that call.
type realT struct{ *testing.T }

func (r realT) run(name string, f func(t tb)) bool {
	r.T.Helper()
	return r.T.Run(name, func(t *testing.T) {
		t.Helper()
		f(realT{t})
	})
}

// testingT returns the *testing.T behind t, or nil for the kit's own
// recorder (which then skips the author's callbacks).
func testingT(t tb) *testing.T {
	if r, ok := t.(realT); ok {
		return r.T
	}
	return nil
}

// overrun is how long past the deadline of the context it gave a call the
// kit waits for it to return: a provider that passes the context on to its
// request returns within milliseconds of the deadline.
const overrun = time.Second

// fixContext is what the kit tells an author whose call overran its
// context's deadline.
const fixContext = "pass ctx to the request (http.NewRequestWithContext)"

// result is what a bounded token fetch returned.
type result struct {
	tok *oauth2.Token
	err error
}

// call is a token fetch running in a goroutine of its own, so that the kit
// can give up on a provider that ignores its context.
type call struct {
	ch   chan result   // receives the result once
	done chan struct{} // closed when the fetch returned
}

// startFetch fetches a token from ts in a goroutine, through TokenContext
// when ts has it, with a context that ends after d. A panic is returned as
// an error.
func startFetch(ts oauth2.TokenSource, d time.Duration) *call {
	c := &call{ch: make(chan result, 1), done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	go func() {
		defer close(c.done)
		defer cancel()
		var r result
		defer func() {
			if p := recover(); p != nil {
				r = result{err: fmt.Errorf("plugintest: Token panicked: %v", p)}
			}
			c.ch <- r
		}()
		if cts, ok := ts.(plugin.ContextTokenSource); ok {
			r.tok, r.err = cts.TokenContext(ctx)
		} else {
			r.tok, r.err = ts.Token()
		}
	}()
	return c
}

// wait waits for the fetch at most d + overrun; ok is false if it did not
// return by then.
func (c *call) wait(d time.Duration) (res result, ok bool) {
	timer := time.NewTimer(d + overrun)
	defer timer.Stop()
	select {
	case r := <-c.ch:
		return r, true
	case <-timer.C:
		return result{}, false
	}
}

// abandon waits at most overrun for a fetch the kit gave up on, after
// abort (which ends the requests the fetch may be stuck in) has run.
func (c *call) abandon(abort func()) {
	if abort != nil {
		abort()
	}
	timer := time.NewTimer(overrun)
	defer timer.Stop()
	select {
	case <-c.done:
	case <-timer.C:
	}
}

// overran is the report for a fetch that did not return in time.
func overran(ts oauth2.TokenSource) string {
	if _, ok := ts.(withoutContext); ok {
		return fmt.Sprintf("Token did not return within %v of the HTTP client's timeout: send every request with the client Upstream.WithClient gave (plugin.Do(client, req))", overrun)
	}
	if _, ok := ts.(plugin.ContextTokenSource); !ok {
		return fmt.Sprintf("Token did not return within %v of the kit's deadline: implement TokenContext(ctx) and %s", overrun, fixContext)
	}
	return fmt.Sprintf("Token did not return within %v of its context's deadline: %s", overrun, fixContext)
}

// fetchBounded fetches a token with a context ending after d, reporting
// (and returning ok false) when the provider overruns it; abort, if set,
// ends what the fetch may be stuck in.
func fetchBounded(t reporter, ts oauth2.TokenSource, d time.Duration, abort func()) (*oauth2.Token, error, bool) {
	t.Helper()
	c := startFetch(ts, d)
	r, ok := c.wait(d)
	if !ok {
		t.Errorf("%s", overran(ts))
		c.abandon(abort)
		return nil, nil, false
	}
	return r.tok, r.err, true
}
