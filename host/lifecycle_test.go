//go:build unix

package host_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/internal/loadgen"
	"github.com/tokenplug/tokenplug/host/internal/poll"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin"
)

func TestKilledPluginIsRestartedAndNoCallerFailsMeanwhile(t *testing.T) {
	reg, logs := newRegistry(t)
	pidSrc := faultSource(t, reg, "pid", "pid", "lifetime", "1h")
	tok := mustToken(t, pidSrc)
	pid := mustAtoi(t, tok.AccessToken)

	// Callers hammer the source while the plugin is SIGKILLed: the cached
	// token is valid, so none of them may fail.
	errs := make(chan error, 8)
	stop := loadgen.Start(8, func(int) bool {
		if _, err := pidSrc.Token(ctxT(t)); err != nil {
			errs <- err
			return false
		}
		return true
	})
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
	pidSrc.Invalidate(tok) // as a 401 would: now the next call needs the plugin
	newTok, err := pidSrc.Token(ctxT(t))
	stop()
	close(errs)
	for err := range errs {
		t.Errorf("a caller failed while the plugin restarted: %v", err)
	}
	if err != nil {
		t.Fatalf("Token after the plugin was killed: %v", err)
	}
	if newTok.AccessToken == tok.AccessToken {
		t.Fatal("got the old plugin's pid; no restart happened")
	}
	if !strings.Contains(logs.String(), "restarting") {
		t.Errorf("restart not logged:\n%s", logs)
	}
}

func TestHungPluginIsDetectedKilledAndRestarted(t *testing.T) {
	f := newOtelFixture(t)
	src := faultSource(t, f.reg, "pid", "pid")
	tok := mustToken(t, src)
	pid := mustAtoi(t, tok.AccessToken)
	// SIGSTOP: the process exists but answers nothing, not even health checks.
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitState(t, pid, "T") // the signal is delivered asynchronously
	src.Invalidate(tok)
	newTok, err := src.Token(ctxT(t))
	if err != nil {
		t.Fatalf("Token with a hung plugin: %v", err)
	}
	if newTok.AccessToken == tok.AccessToken {
		t.Fatal("no new plugin was started")
	}
	waitGone(t, pid)
	wantPoints(t, f.points(t), map[string]float64{
		"tokenplug.plugin.starts tokenplug.outcome=ok,tokenplug.plugin=tokenplug-fault":            2,
		"tokenplug.plugin.restarts tokenplug.plugin=tokenplug-fault,tokenplug.reason=unresponsive": 1,
	})
}

func TestCallerContextBoundsTheWaitButNotTheSharedFetch(t *testing.T) {
	reg, _ := newRegistry(t, host.WithFetchTimeout(300*time.Millisecond))
	src := faultSource(t, reg, "hang", "hang")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := src.Token(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's deadline", err)
	}
	var he *host.Error
	if !errors.As(err, &he) || he.Provider != "hang" {
		t.Fatalf("err = %v, want *host.Error naming the provider", err)
	}
	// The fetch itself runs on, to its own timeout, and its error reaches
	// a caller willing to wait.
	_, err = src.Token(ctxT(t))
	if !errors.Is(err, plugin.ErrTemporary) || !strings.Contains(err.Error(), "hang") {
		t.Fatalf("err = %v, want a temporary error from the fetch timeout", err)
	}
}

func TestPanicInTokenIsAnErrorNotACrash(t *testing.T) {
	reg, _ := newRegistry(t)
	src := faultSource(t, reg, "panic", "panic")
	for range 2 {
		_, err := src.Token(ctxT(t))
		if err == nil || !strings.Contains(err.Error(), "provider panicked") {
			t.Fatalf("err = %v, want the recovered panic", err)
		}
		time.Sleep(10 * time.Millisecond) // let the backoff (1-5ms in tests) pass
	}
}

func TestPluginThatExitsInTokenIsRestarted(t *testing.T) {
	reg, _ := newRegistry(t)
	src := faultSource(t, reg, "exit", "exit")
	_, err := src.Token(ctxT(t))
	if !errors.Is(err, plugin.ErrTemporary) {
		t.Fatalf("err = %v, want a temporary error", err)
	}
}

func TestStdoutGarbage(t *testing.T) {
	reg, logs := newRegistry(t)
	t.Run("after the handshake it is logged as a warning", func(t *testing.T) {
		src := faultSource(t, reg, "stdout", "stdout")
		if _, err := src.Token(ctxT(t)); err != nil {
			t.Fatalf("plugin printing to stdout: %v", err)
		}
		poll.Until(t, "the stray line in the log", func() bool {
			return strings.Contains(logs.String(), "plugin wrote to stdout") && strings.Contains(logs.String(), "garbage on stdout")
		})
	})
	t.Run("before the handshake it is a clear start error", func(t *testing.T) {
		src := mustSource(t, reg, "stdout-first", host.ProviderConfig{Path: testbin.Path("fault"), Args: []string{"stdout-first"}})
		_, err := src.Token(ctxT(t))
		if err == nil || !strings.Contains(err.Error(), "start plugin") {
			t.Fatalf("err = %v, want a start error", err)
		}
	})
}

func TestPluginSeesACleanEnvironment(t *testing.T) {
	t.Setenv("TOKENPLUG_TEST_SECRET", "do-not-pass")
	t.Setenv("TOKENPLUG_TEST_ALLOWED", "ok")
	reg, _ := newRegistry(t, host.WithEnv("TOKENPLUG_TEST_ALLOWED"))
	tok, err := faultSource(t, reg, "env", "env").Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	keys := "," + tok.AccessToken + ","
	if strings.Contains(keys, ",TOKENPLUG_TEST_SECRET,") {
		t.Errorf("plugin inherited a variable not on the allowlist: %s", keys)
	}
	if !strings.Contains(keys, ",TOKENPLUG_TEST_ALLOWED,") || !strings.Contains(keys, ",PATH,") {
		t.Errorf("plugin lacks allowed variables: %s", keys)
	}
}

func TestPluginExitsWhenItsHostIsKilled(t *testing.T) {
	cmd := exec.Command(testbin.Path("hostproc"), testbin.Path("fault"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("host did not print the plugin pid: %v", err)
	}
	pluginPID := mustAtoi(t, strings.TrimSpace(line))
	if !processAlive(pluginPID) {
		t.Fatal("plugin not running while its host is")
	}
	cmd.Process.Signal(os.Kill) // SIGKILL: the host cannot clean up
	cmd.Wait()
	waitGone(t, pluginPID)
}

func TestPluginOfAnotherProtocolVersionIsRefusedNamingBoth(t *testing.T) {
	bin, err := testbin.Build(t.TempDir(), "v2", "../plugin/testdata/v2plugin")
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := newRegistry(t)
	_, err = mustSource(t, reg, "v2", host.ProviderConfig{Path: bin}).Token(ctxT(t))
	if !errors.Is(err, plugin.ErrConfig) || !strings.Contains(err.Error(), "speaks tokenplug plugin protocol 2; this host speaks 1") {
		t.Fatalf("err = %v, want a configuration error naming both versions", err)
	}
}

func TestSlowFetchDoesNotReplaceAHealthyPlugin(t *testing.T) {
	reg, _ := newRegistry(t, host.WithFetchTimeout(500*time.Millisecond))
	src := faultSource(t, reg, "hang", "hang")
	if _, err := src.Token(ctxT(t)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the fetch timeout", err)
	}
	// The hung call's plugin still answers health checks (only its Token
	// hangs), so it is kept: a slow vendor is not a broken plugin.
	if _, err := src.Describe(ctxT(t)); err != nil {
		t.Fatalf("plugin replaced or broken after a slow fetch: %v", err)
	}
}
