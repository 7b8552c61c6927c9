package host_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/internal/poll"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/transport"
)

// slowBackoff keeps a failed fetch from being retried during a test, so
// that every upstream request the test counts is one the host chose.
var slowBackoff = host.WithBackoff(host.Backoff{Base: time.Hour, Max: time.Hour})

func TestTokenExpiredOnArrivalIsAFailedFetchNeverHandedOut(t *testing.T) {
	reg, logs := newRegistry(t, slowBackoff)
	src := faultSource(t, reg, "skewed", "expired", "lifetime", "1h")
	for i := range 20 {
		tok, err := src.Token(ctxT(t))
		if tok != nil {
			t.Fatalf("call %d handed out a token that expired at %v", i, tok.Expiry)
		}
		if !errors.Is(err, plugin.ErrTemporary) || !strings.Contains(err.Error(), "expired on arrival") ||
			!strings.Contains(err.Error(), "clock may be ahead") || !strings.Contains(err.Error(), "2h0m") {
			t.Fatalf("call %d: err = %v, want a temporary error naming the expiry and a 2h clock skew", i, err)
		}
	}
	if n := strings.Count(logs.String(), "token fetch failed"); n > 2 {
		t.Fatalf("20 calls made %d upstream fetches, want at most 2 (backoff applies)", n)
	}
}

// Issue 30 item 5: a token that arrives expired with nothing to show the
// vendor's clock is to blame (an opaque token, as from a plugin that let
// expires_in -5 through) is blamed on the plugin's expiry handling, not on
// clock skew.
func TestATokenExpiredOnArrivalWithoutALifetimeIsBlamedOnThePlugin(t *testing.T) {
	reg, _ := newRegistry(t, slowBackoff)
	_, err := faultSource(t, reg, "past", "pastexpiry", "lifetime", "1h").Token(ctxT(t))
	if !errors.Is(err, plugin.ErrTemporary) || !strings.Contains(err.Error(), "expired on arrival") ||
		!strings.Contains(err.Error(), "plugin.ExpiryAfterSeconds") || strings.Contains(err.Error(), "clock") {
		t.Fatalf("err = %v, want a temporary error blaming the plugin's expiry handling, not the clock", err)
	}
}

// skewedIAM is the real iam plugin against an IAM emulator whose clock is
// 2h behind the host's (which is the real clock), counting requests.
func skewedIAM(t *testing.T) (*host.Source, *emulator.IAM, func() int64) {
	t.Helper()
	emu, tokenURL, requests := countedIAM(t, func() time.Time { return time.Now().Add(-2 * time.Hour) })
	reg, _ := newRegistry(t, slowBackoff)
	return iamSource(t, reg, tokenURL), emu, requests
}

func TestVendorClockTwoHoursBehindNeverYieldsAnExpiredTokenNorAStorm(t *testing.T) {
	src, _, requests := skewedIAM(t)
	for i := range 20 {
		tok, err := src.Token(ctxT(t))
		if err == nil && !tok.Expiry.After(time.Now()) {
			t.Fatalf("call %d handed out a token that expired at %v", i, tok.Expiry)
		}
		if err != nil && !strings.Contains(err.Error(), "clock may be ahead") {
			t.Fatalf("call %d: err = %v, want it to point at clock skew", i, err)
		}
	}
	if n := requests(); n > 2 {
		t.Fatalf("20 calls made %d requests to IAM, want at most 2", n)
	}
}

// The iam plugin anchors lifetimes to its local clock (expires_in) rather
// than IAM's absolute expiration: with the host clock 2h ahead of the
// vendor, one fetch serves a whole lifetime.
func TestHostClockTwoHoursAheadOfIAMFetchesOncePerLifetime(t *testing.T) {
	src, emu, requests := skewedIAM(t)
	for i := range 20 {
		tok, err := src.Token(ctxT(t))
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if left := time.Until(tok.Expiry); left < 59*time.Minute {
			t.Fatalf("call %d: token has %v left, want about an hour (IAM's lifetime, anchored at receipt)", i, left)
		}
		if err := emu.Verify(tok.AccessToken); err != nil {
			t.Fatal(err)
		}
	}
	if n := requests(); n != 1 {
		t.Fatalf("20 calls made %d requests to IAM, want 1 per token lifetime", n)
	}
}

func TestRetryAfterOfAYearIsCappedAtTenMinutes(t *testing.T) {
	f := newIAMFixture(t)
	f.iam.Faults.Set(emulator.Fault{Status: http.StatusTooManyRequests, RetryAfter: 365 * 24 * time.Hour})
	if _, err := f.src.Token(ctxT(t)); !errors.Is(err, plugin.ErrRateLimited) {
		t.Fatalf("err = %v, want rate limited", err)
	}
	f.iam.Faults.Clear()
	f.clock.Advance(9 * time.Minute)
	if _, err := f.src.Token(ctxT(t)); !errors.Is(err, plugin.ErrRateLimited) || f.requests() != 1 {
		t.Fatalf("asked IAM again within the 10 min cap (%d requests, err %v)", f.requests(), err)
	}
	f.clock.Advance(2 * time.Minute)
	f.token(t) // 11 min later, not a year
}

func TestRetryAfterIsCappedAndTheValidTokenServedMeanwhile(t *testing.T) {
	f := newIAMFixture(t)
	first := f.token(t)
	f.iam.Faults.Set(emulator.Fault{Status: http.StatusTooManyRequests, RetryAfter: 365 * 24 * time.Hour})
	f.clock.Advance(50 * time.Minute) // past the refresh point
	if tok := f.token(t); tok != first {
		t.Fatal("the caller at the refresh point did not get the valid token")
	}
	poll.Until(t, "the refresh's 429", func() bool { return strings.Contains(f.logs.String(), "token fetch failed") })
	f.iam.Faults.Clear()
	f.clock.Advance(9 * time.Minute) // 59 min: still valid, still backing off
	if tok := f.token(t); tok != first || f.requests() != 2 {
		t.Fatalf("the valid token was not served while rate limited (%d requests)", f.requests())
	}
	f.clock.Advance(2 * time.Minute) // 61 min: expired; the capped retry-after has passed
	if tok := f.token(t); tok.AccessToken == first.AccessToken {
		t.Fatal("got the expired token")
	}
}

func TestAPIThatRejectsEveryTokenCostsOneFetchPerInvalidationWindow(t *testing.T) {
	clk := newFakeClock()
	reg, _ := newRegistry(t, host.WithClock(clk.Now))
	src := faultSource(t, reg, "storm", "ok", "lifetime", "1h")
	var mu sync.Mutex // guards seen
	seen := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("Authorization")] = true
		mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: transport.New(nil, src)}
	get := func() {
		t.Helper()
		resp, err := client.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want the API's 401", resp.StatusCode)
		}
	}
	for range 50 {
		get()
		clk.Advance(500 * time.Millisecond) // 50 requests in 25s
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) > 2 {
		t.Fatalf("50 requests answered 401 cost %d token fetches, want at most 2", len(seen))
	}
	clk.Advance(31 * time.Second) // past the window: a 401 forces a fetch again
	mu.Unlock()
	get()
	mu.Lock()
	if !seen["Bearer tok-3"] {
		t.Fatalf("after the window a 401 did not force a new token (tokens sent: %v)", seen)
	}
}

func TestShortLivedTokenIsNeverSentAfterItsExpiry(t *testing.T) {
	clk := newFakeClock()
	emu := emulator.NewIAM()
	emu.Now, emu.Lifetime = clk.Now, 2*time.Second
	emu.AddAPIKey(testAPIKey)
	// Only expires_in: the plugin anchors the lifetime at receipt, and the
	// host carries it over to its clock.
	vendor := httptest.NewServer(withoutExpiration(emu))
	t.Cleanup(vendor.Close)
	reg, _ := newRegistry(t, host.WithClock(clk.Now))
	src := mustSource(t, reg, "watson", host.ProviderConfig{Path: testbin.Path("iam"), Hosts: []string{"127.0.0.1"}, Settings: map[string]string{
		"apikey": testAPIKey, "token_url": vendor.URL + "/identity/token",
	}})
	var rejected atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := emu.Verify(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")); err != nil {
			rejected.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(api.Close)
	// Every request spends 750ms on its way to the API.
	slow := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		clk.Advance(750 * time.Millisecond)
		return http.DefaultTransport.RoundTrip(r)
	})
	client := &http.Client{Transport: transport.New(slow, src)}
	for range 40 {
		clk.Advance(250 * time.Millisecond)
		resp, err := client.Get(api.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if n := rejected.Load(); n != 0 {
		t.Fatalf("%d requests reached the API with an expired token", n)
	}
}

// withoutExpiration drops "expiration" from h's JSON token responses.
func withoutExpiration(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var body map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		delete(body, "expiration")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTokenExpiredOnArrivalIsNotOfferedToTheSharedCache(t *testing.T) {
	cache := &recordingCache{}
	reg, _ := newRegistry(t, host.WithCache(cache), slowBackoff)
	src := faultSource(t, reg, "skewed", "expired", "lifetime", "1h")
	if _, err := src.Token(ctxT(t)); err == nil {
		t.Fatal("an expired token was handed out")
	}
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if len(cache.fetched) != 1 || cache.fetched[0] != nil {
		t.Fatalf("the shared cache was offered %v, want no token to store", cache.fetched)
	}
}
