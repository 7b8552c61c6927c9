package host_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// bins holds plugin binaries built once for the package's tests.
var bins = map[string]string{}

func TestMain(m *testing.M) {
	pkgs := testbin.Plugins("symphony", "fault", "iam")
	pkgs["hostproc"] = "./internal/hostproc"
	testbin.Main(m, bins, pkgs)
}

// logBuffer collects every log line at every level, for secret checks.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// newRegistry returns a registry closed at the end of the test, logging at
// the lowest level into the returned buffer.
func newRegistry(t *testing.T, opts ...host.Option) (*host.Registry, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
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

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
