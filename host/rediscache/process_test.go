package rediscache_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// hostProcess is a separate host process (cachehost) with its own
// registry, plugin and Redis connection.
type hostProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

// startHost starts a cachehost process; env adds NAME=value entries to its
// environment.
func startHost(t *testing.T, tokenURL, redisURL, apikey, cacheKey string, env ...string) *hostProcess {
	t.Helper()
	p := spawnHost(t, tokenURL, redisURL, apikey, cacheKey, env...)
	p.waitReady(t)
	return p
}

// startHosts starts n cachehost processes at once and waits until all are
// ready.
func startHosts(t *testing.T, n int, tokenURL, redisURL, apikey, cacheKey string, env ...string) []*hostProcess {
	t.Helper()
	procs := make([]*hostProcess, n)
	for i := range procs {
		procs[i] = spawnHost(t, tokenURL, redisURL, apikey, cacheKey, env...)
	}
	for _, p := range procs {
		p.waitReady(t)
	}
	return procs
}

// askAll has every process, all of them up, ask at once and returns the
// line each answers.
func askAll(t *testing.T, procs []*hostProcess) []string {
	t.Helper()
	for _, p := range procs {
		p.ask()
	}
	lines := make([]string, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Go(func() { lines[i] = p.line(t) })
	}
	wg.Wait()
	return lines
}

// waitReady waits for the process's "ready".
func (p *hostProcess) waitReady(t *testing.T) {
	t.Helper()
	if line := p.line(t); line != "ready" {
		t.Fatalf("cachehost said %q, want ready", line)
	}
}

// spawnHost starts a cachehost process without waiting for it.
func spawnHost(t *testing.T, tokenURL, redisURL, apikey, cacheKey string, env ...string) *hostProcess {
	t.Helper()
	cmd := exec.Command(testbin.Path("cachehost"), testbin.Path("iam"), tokenURL, redisURL)
	cmd.Env = append(os.Environ(), "CACHEHOST_APIKEY="+apikey, "CACHEHOST_CACHE_KEY="+cacheKey)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return &hostProcess{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
}

func (p *hostProcess) line(t *testing.T) string {
	t.Helper()
	if !p.out.Scan() {
		t.Fatalf("cachehost exited early: %v", p.out.Err())
	}
	return strings.TrimSpace(p.out.Text())
}

// ask lets the process ask for its token; line then reads it.
func (p *hostProcess) ask() { _, _ = io.WriteString(p.stdin, "go\n") }

func TestSeparateHostProcessesFetchOneTokenBetweenThem(t *testing.T) {
	f := newFleet(t)
	emu := f.emu
	// A vendor endpoint that takes a moment, as real ones do, so that all
	// the processes ask while the first fetch is in flight.
	emu.Faults.Set(emulator.Fault{Latency: 300 * time.Millisecond})

	const n = 4
	tokens := askAll(t, startHosts(t, n, f.tokenURL, f.srv.URL(), "key-A", f.cacheKey))
	if got := emu.Issued(); got != 1 {
		t.Fatalf("IAM issued %d tokens to %d host processes, want 1", got, n)
	}
	for i, tok := range tokens {
		if tok != tokens[0] {
			t.Fatalf("process %d got another token", i)
		}
	}
	if err := emu.Verify(tokens[0]); err != nil {
		t.Fatal(err)
	}

	late := startHost(t, f.tokenURL, f.srv.URL(), "key-A", f.cacheKey)
	late.ask()
	if tok := late.line(t); tok != tokens[0] {
		t.Fatal("a process started later did not get the token from Redis")
	}
	if got := emu.Issued(); got != 1 {
		t.Fatalf("IAM issued %d tokens, want still 1", got)
	}
}

// stopLoad stops the load of each process started with CACHEHOST_LOAD=1
// and sums the token requests they report as ok and as failed.
func stopLoad(t *testing.T, load []*hostProcess) (ok, failed int) {
	t.Helper()
	for _, h := range load {
		h.ask() // stop
	}
	for i, h := range load {
		var o, f int
		if _, err := fmt.Sscanf(h.line(t), "ok %d failed %d", &o, &f); err != nil {
			t.Fatalf("process %d: %v", i, err)
		}
		ok, failed = ok+o, failed+f
	}
	return ok, failed
}

// checkLateHost starts one more process (as startHost does) after a
// failover and fails the test unless it gets a valid token for each of
// its providers without a fetch upstream: all from the new primary.
func checkLateHost(t *testing.T, emu *emulator.IAM, providers int, tokenURL, redisURL, cacheKey string, env ...string) {
	t.Helper()
	before := emu.Issued()
	late := startHost(t, tokenURL, redisURL, "key-A", cacheKey, env...)
	late.ask()
	for p, tok := range late.tokens(t, providers) {
		if err := emu.Verify(tok); err != nil {
			t.Fatalf("provider %d: %v", p, err)
		}
	}
	if n := emu.Issued() - before; n != 0 {
		t.Fatalf("a process started after the failover fetched %d tokens upstream, want 0 (all from the new primary)", n)
	}
}
