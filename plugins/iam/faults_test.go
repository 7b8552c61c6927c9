package iam

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

// assertClean fails if err leaks a secret or is not the provider's.
func assertClean(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, "tokenplug/iam: ") {
		t.Errorf("error %q does not start with tokenplug/iam", msg)
	}
	for _, s := range []string{testKey, testSecret} {
		if strings.Contains(msg, s) {
			t.Errorf("error %q contains a secret", msg)
		}
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
		{"502", emulator.Fault{Status: 502}, plugin.ErrTemporary},
		{"503", emulator.Fault{Status: 503}, plugin.ErrTemporary},
		{"429", emulator.Fault{Status: 429, RetryAfter: 7 * time.Second}, plugin.ErrRateLimited},
		{"a garbage 200", emulator.Fault{Garbage: true}, plugin.ErrTemporary},
		{"a 10 MB body", emulator.Fault{BodySize: 10 << 20}, plugin.ErrTemporary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.iam.Faults.Set(tt.fault)
			_, err := f.source(t, Provider{}, map[string]string{SettingClientID: "bx", SettingClientSecret: testSecret}).Token()
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

func TestAnUnknownAPIKeyIsPermanentAndSaysWhy(t *testing.T) {
	f := newFixture(t)
	_, err := f.source(t, Provider{}, map[string]string{SettingAPIKey: "not-registered-key"}).Token()
	if !errors.Is(err, plugin.ErrPermanent) || !strings.Contains(err.Error(), "BXNIM0415E") {
		t.Fatalf("err = %v, want permanent mentioning BXNIM0415E", err)
	}
	assertClean(t, err)
}

func TestSlowIAMIsTemporaryWhenTheClientGivesUp(t *testing.T) {
	f := newFixture(t)
	// The emulator's latency is cut short when the client hangs up, so the
	// test takes the client's timeout, not the latency.
	f.iam.Faults.Set(emulator.Fault{Latency: time.Minute})
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

func TestAFaultForOneRequestThenRecovers(t *testing.T) {
	f := newFixture(t)
	f.iam.Faults.Set(emulator.Fault{Status: 503, Times: 1})
	ts := f.source(t, Provider{}, nil)
	if _, err := ts.Token(); !errors.Is(err, plugin.ErrTemporary) {
		t.Fatalf("first: %v", err)
	}
	if _, err := ts.Token(); err != nil {
		t.Fatalf("second: %v", err)
	}
}

func TestA200WithoutAccessTokenIsTemporary(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"token_type":"Bearer","expires_in":3600}`)
	}))
	defer srv.Close()
	ts, err := configure(Provider{HTTPClient: srv.Client()}, map[string]string{SettingAPIKey: testKey, SettingTokenURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ts.Token()
	if !errors.Is(err, plugin.ErrTemporary) || !strings.Contains(err.Error(), "access_token") {
		t.Fatalf("err = %v, want temporary naming access_token", err)
	}
	assertClean(t, err)
}

func TestAnUpstreamThatEchoesSecretsDoesNotLeakThem(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusBadRequest, http.StatusInternalServerError} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.WriteHeader(status)
			_, _ = w.Write([]byte("you sent " + string(b) + " with " + r.Header.Get("Authorization") + " " + testKey + " " + testSecret))
		}))
		ts, err := configure(Provider{HTTPClient: srv.Client()}, map[string]string{
			SettingAPIKey: testKey, SettingTokenURL: srv.URL, SettingClientID: "bx", SettingClientSecret: testSecret,
		})
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
