package host_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/syncbuf"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

func TestMain(m *testing.M) {
	pkgs := testbin.Plugins("symphony", "fault", "iam", "rotate", "oauth2")
	pkgs["hostproc"] = "./internal/hostproc"
	testbin.Main(m, pkgs)
}

// newRegistry returns a registry closed at the end of the test, logging at
// the lowest level into the returned buffer.
func newRegistry(t *testing.T, opts ...host.Option) (*host.Registry, *syncbuf.Buffer) {
	t.Helper()
	logs := &syncbuf.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug - 8}))
	opts = append([]host.Option{host.WithLogger(logger), host.WithBackoff(host.Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond})}, opts...)
	reg := host.NewRegistry(opts...)
	t.Cleanup(func() { reg.Close() })
	return reg, logs
}

func mustSource(t *testing.T, reg *host.Registry, name string, cfg host.ProviderConfig) *host.Source {
	t.Helper()
	if err := reg.Register(name, cfg); err != nil {
		t.Fatalf("Register(%s): %v", name, err)
	}
	src, err := reg.Source(name)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// mustToken returns src's token, failing the test on an error.
func mustToken(t *testing.T, src *host.Source) *oauth2.Token {
	t.Helper()
	tok, err := src.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fakeClock is shared by the host and the emulator, so token lifetimes pass
// without sleeping.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Now().Truncate(time.Second).UnixNano())
	return c
}
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// iamFixture is the real iam plugin binary against the IAM emulator, which
// counts every request that reaches it.
type iamFixture struct {
	clock    *fakeClock
	iam      *emulator.IAM
	requests func() int64
	src      *host.Source
	logs     *syncbuf.Buffer
}

const testAPIKey = "apikey-0123456789-SECRET"

func newIAMFixture(t *testing.T) *iamFixture {
	t.Helper()
	f := &iamFixture{clock: newFakeClock()}
	var tokenURL string
	f.iam, tokenURL, f.requests = countedIAM(t, f.clock.Now)
	var reg *host.Registry
	reg, f.logs = newRegistry(t, host.WithClock(f.clock.Now))
	f.src = iamSource(t, reg, tokenURL)
	return f
}

// countedIAM is an IAM emulator on 127.0.0.1 that knows testAPIKey, runs
// on now (nil: the real clock) and counts the token requests that reach it.
func countedIAM(t *testing.T, now func() time.Time) (emu *emulator.IAM, tokenURL string, requests func() int64) {
	t.Helper()
	emu = emulator.NewIAM()
	emu.Now = now
	emu.AddAPIKey(testAPIKey)
	counted := &countingHandler{h: emu}
	srv := httptest.NewServer(counted)
	t.Cleanup(srv.Close)
	return emu, srv.URL + "/identity/token", counted.n.Load
}

// countingHandler counts the requests that reach h.
type countingHandler struct {
	h http.Handler
	n atomic.Int64
}

func (c *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.n.Add(1)
	c.h.ServeHTTP(w, r)
}

// iamSource registers the real iam plugin, with testAPIKey and tokenURL,
// in reg as "watson".
func iamSource(t *testing.T, reg *host.Registry, tokenURL string) *host.Source {
	t.Helper()
	return mustSource(t, reg, "watson", host.ProviderConfig{Path: testbin.Path("iam"), Settings: map[string]string{
		"apikey": testAPIKey, "token_url": tokenURL,
	}})
}

func (f *iamFixture) token(t *testing.T) *oauth2.Token {
	t.Helper()
	tok, err := f.src.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
