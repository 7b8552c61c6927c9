package host_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/internal/poll"
	"github.com/tokenplug/tokenplug/plugin"
)

func TestThousandCallersAtExpiryCauseExactlyOneUpstreamFetch(t *testing.T) {
	f := newIAMFixture(t)
	first := f.token(t)
	f.clock.Advance(2 * time.Hour) // IAM tokens last an hour

	const callers = 1000
	var wg sync.WaitGroup
	got := make([]*oauth2.Token, callers)
	errs := make([]error, callers)
	start := make(chan struct{})
	for i := range callers {
		wg.Go(func() {
			<-start
			got[i], errs[i] = f.src.Token(ctxT(t))
		})
	}
	close(start)
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if got[i].AccessToken != got[0].AccessToken || got[i].AccessToken == first.AccessToken {
			t.Fatalf("caller %d got another token", i)
		}
	}
	if n := f.iam.Issued(); n != 2 {
		t.Fatalf("IAM issued %d tokens, want 2 (one at start, one for all %d callers)", n, callers)
	}
}

func TestTokenIsRefreshedInTheBackgroundAtEightyPercent(t *testing.T) {
	f := newIAMFixture(t)
	first := f.token(t)
	f.clock.Advance(47 * time.Minute) // before 80% of an hour: no refresh
	if tok := f.token(t); tok != first || f.requests() != 1 {
		t.Fatalf("refreshed before 80%% of the lifetime (%d requests)", f.requests())
	}
	f.clock.Advance(2 * time.Minute) // 49 min: past 80%
	if tok := f.token(t); tok != first {
		t.Fatal("the caller at the refresh point waited for the refresh instead of getting the valid token")
	}
	poll.Until(t, "the background refresh", func() bool { return f.token(t).AccessToken != first.AccessToken })
	if n := f.iam.Issued(); n != 2 {
		t.Fatalf("IAM issued %d tokens, want 2", n)
	}
}

func TestFailingVendorValidTokenIsServedUntilExpiryThenTheRealError(t *testing.T) {
	f := newIAMFixture(t)
	first := f.token(t)
	f.iam.Faults.Set(emulator.Fault{Status: http.StatusServiceUnavailable})
	f.clock.Advance(50 * time.Minute)
	for range 5 {
		if tok := f.token(t); tok != first {
			t.Fatal("a failing refresh replaced or dropped the valid token")
		}
		f.clock.Advance(time.Minute) // lets the backoff pass: the refresh retries
	}
	poll.Until(t, "refresh retries", func() bool {
		f.clock.Advance(time.Second) // time passes: the backoff elapses
		return f.requests() >= 3
	})
	if tok := f.token(t); tok != first {
		t.Fatal("the valid token was dropped while refreshes failed")
	}

	f.clock.Advance(10 * time.Minute) // past expiry
	_, err := f.src.Token(ctxT(t))
	var he *host.Error
	if !errors.As(err, &he) || he.Provider != "watson" || !errors.Is(err, plugin.ErrTemporary) {
		t.Fatalf("err = %v, want a temporary *host.Error naming watson", err)
	}
	if !strings.Contains(err.Error(), "503") {
		t.Errorf("err = %v, want the upstream's status in it", err)
	}

	f.iam.Faults.Clear()
	f.clock.Advance(time.Minute)
	if tok := f.token(t); tok.AccessToken == first.AccessToken {
		t.Fatal("still the old token after the vendor recovered")
	}
}

func TestRetryAfterIsHonouredAndPermanentErrorsAreClassified(t *testing.T) {
	f := newIAMFixture(t)
	f.iam.Faults.Set(emulator.Fault{Status: http.StatusTooManyRequests, RetryAfter: 30 * time.Second})
	_, err := f.src.Token(ctxT(t))
	if !errors.Is(err, plugin.ErrRateLimited) {
		t.Fatalf("err = %v, want rate limited", err)
	}
	f.iam.Faults.Clear()
	f.clock.Advance(20 * time.Second)
	if _, err := f.src.Token(ctxT(t)); !errors.Is(err, plugin.ErrRateLimited) || f.requests() != 1 {
		t.Fatalf("asked the vendor again %v after a 30s Retry-After (%d requests, err %v)", 20*time.Second, f.requests(), err)
	}
	f.clock.Advance(15 * time.Second)
	f.token(t)

	f.iam.Faults.Set(emulator.Fault{Status: http.StatusBadRequest})
	f.src.Invalidate(nil)
	_, err = f.src.Token(ctxT(t))
	if !errors.Is(err, plugin.ErrPermanent) {
		t.Fatalf("err = %v, want permanent for a 400 from IAM", err)
	}
}

func TestNoSecretInAnyLogLineOrError(t *testing.T) {
	const password = "hunter2-very-SECRET-value"
	reg, logs := newRegistry(t)
	var errs []error
	for _, behavior := range []string{"logsecret", "permanent"} {
		src := faultSource(t, reg, behavior, behavior, "password", password)
		_, err := src.Token(ctxT(t))
		errs = append(errs, err)
	}
	careless := faultSource(t, reg, "careless", "ok", "password", password, "fail_configure", "rejected")
	_, err := careless.Token(ctxT(t))
	errs = append(errs, err)

	f := newIAMFixture(t)
	f.iam.Faults.Set(emulator.Fault{Status: http.StatusBadRequest})
	_, err = f.src.Token(ctxT(t))
	errs = append(errs, err)

	if errs[1] == nil || errs[2] == nil || errs[3] == nil {
		t.Fatalf("expected errors, got %v", errs)
	}
	for _, err := range errs {
		if err != nil && (strings.Contains(err.Error(), password) || strings.Contains(err.Error(), testAPIKey)) {
			t.Errorf("secret in error: %v", err)
		}
	}
	all := logs.String() + f.logs.String()
	if !strings.Contains(all, "[REDACTED]") {
		t.Errorf("the plugin's secret-bearing log lines did not reach the host log:\n%s", all)
	}
	if strings.Contains(all, password) || strings.Contains(all, testAPIKey) {
		t.Errorf("secret in logs:\n%s", all)
	}
}
