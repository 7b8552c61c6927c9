package azure

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin"
)

// assertClean fails if err leaks the key or is not the provider's.
func assertClean(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, "tokenplug/azure: ") {
		t.Errorf("error %q does not start with tokenplug/azure", msg)
	}
	if strings.Contains(msg, testKey) {
		t.Errorf("error %q contains the subscription key", msg)
	}
	if len(msg) > 1024 {
		t.Errorf("error is %d bytes long; bodies must be truncated", len(msg))
	}
}

func TestEveryFaultGivesItsErrorClass(t *testing.T) {
	tests := []struct {
		name  string
		fault emulator.Fault
		class error
	}{
		{"400", emulator.Fault{Status: 400}, plugin.ErrPermanent},
		{"401", emulator.Fault{Status: 401}, plugin.ErrPermanent},
		{"403", emulator.Fault{Status: 403}, plugin.ErrPermanent},
		{"500", emulator.Fault{Status: 500}, plugin.ErrTemporary},
		{"503", emulator.Fault{Status: 503}, plugin.ErrTemporary},
		{"429", emulator.Fault{Status: 429, RetryAfter: 12 * time.Second}, plugin.ErrRateLimited},
		{"a garbage 200", emulator.Fault{Garbage: true}, plugin.ErrTemporary},
		{"a 10 MB body", emulator.Fault{BodySize: 10 << 20}, plugin.ErrTemporary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.az.Faults.Set(tt.fault)
			_, err := f.source(t, Provider{}, nil).Token()
			if !errors.Is(err, tt.class) {
				t.Fatalf("err = %v (%v), want %v", err, plugin.KindOf(err), tt.class)
			}
			assertClean(t, err)
			if tt.fault.RetryAfter > 0 && plugin.RetryAfterOf(err) != tt.fault.RetryAfter {
				t.Errorf("RetryAfter = %v, want %v", plugin.RetryAfterOf(err), tt.fault.RetryAfter)
			}
		})
	}
}

func TestAnUnknownKeyIsPermanentAndSaysWhy(t *testing.T) {
	f := newFixture(t)
	_, err := f.source(t, Provider{}, map[string]string{SettingSubscriptionKey: "not-registered"}).Token()
	if !errors.Is(err, plugin.ErrPermanent) || !strings.Contains(err.Error(), "invalid subscription key") {
		t.Fatalf("err = %v, want permanent quoting Azure", err)
	}
	assertClean(t, err)
}

func TestSlowIssueTokenIsTemporaryWhenTheClientGivesUp(t *testing.T) {
	f := newFixture(t)
	// The emulator's latency is cut short when the client hangs up.
	f.az.Faults.Set(emulator.Fault{Latency: time.Minute})
	client := f.ts.Client()
	client.Timeout = 50 * time.Millisecond
	_, err := f.source(t, Provider{HTTPClient: client}, nil).Token()
	if !errors.Is(err, plugin.ErrTemporary) {
		t.Fatalf("client timeout: err = %v, want temporary", err)
	}
	assertClean(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = f.source(t, Provider{}, nil).(plugin.ContextTokenSource).TokenContext(ctx)
	if !errors.Is(err, plugin.ErrTemporary) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("context deadline: err = %v, want temporary deadline exceeded", err)
	}
}

func TestAnEmptyOrNonJWT200IsTemporary(t *testing.T) {
	for _, body := range []string{"", "  \n", "not a jwt", "<html>Service Unavailable</html>"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, body)
		}))
		ts, err := configure(Provider{HTTPClient: srv.Client()}, map[string]string{SettingSubscriptionKey: testKey, SettingTokenURL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ts.Token()
		srv.Close()
		if !errors.Is(err, plugin.ErrTemporary) {
			t.Errorf("body %q: err = %v, want temporary", body, err)
			continue
		}
		assertClean(t, err)
	}
}

func TestAnUpstreamThatEchoesTheKeyDoesNotLeakIt(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusUnauthorized, http.StatusBadGateway} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			_, _ = io.WriteString(w, "bad key "+r.Header.Get(KeyHeader))
		}))
		ts, err := configure(Provider{HTTPClient: srv.Client()}, map[string]string{SettingSubscriptionKey: testKey, SettingTokenURL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ts.Token()
		srv.Close()
		if err == nil {
			t.Fatalf("status %d: no error", status)
		}
		assertClean(t, err)
	}
}
