package host_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/syncbuf"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// bins holds plugin binaries built once for the package's tests.
var bins = map[string]string{}

func TestMain(m *testing.M) {
	pkgs := testbin.Plugins("symphony", "fault", "iam")
	pkgs["hostproc"] = "./internal/hostproc"
	testbin.Main(m, bins, pkgs)
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

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
