//go:build linux

package host_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/hostconfig"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// pluginPIDs returns the live child processes of the test that run the
// binary at path: the plugin processes a registry started.
func pluginPIDs(t *testing.T, path string) []int {
	t.Helper()
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		t.Fatal(err)
	}
	self := os.Getpid()
	var out []int
	for _, d := range dirs {
		pid, _ := strconv.Atoi(filepath.Base(d))
		stat, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 2 || f[0] == "Z" || f[1] != strconv.Itoa(self) {
			continue
		}
		cmd, _ := os.ReadFile(d + "/cmdline")
		if argv0, _, _ := strings.Cut(string(cmd), "\x00"); argv0 == path {
			out = append(out, pid)
		}
	}
	return out
}

// labelConfig is a fault provider whose tokens name its label and the
// plugin's pid, with a secret of its own.
func labelConfig(label string, args ...string) host.ProviderConfig {
	return host.ProviderConfig{
		Path: testbin.Path("fault"), Args: args, Hosts: []string{"*"},
		Settings: map[string]string{"behavior": "label", "label": label, "password": "secret-of-" + label},
	}
}

// labelPID parses a label token: its label and the plugin's pid.
func labelPID(t *testing.T, tok string) (string, string) {
	t.Helper()
	f := strings.Split(tok, "-")
	if len(f) != 5 || f[0] != "label" || f[2] != "pid" {
		t.Fatalf("token %q is not a label token", tok)
	}
	return f[1], f[3]
}

// fetchAll fetches every source's token concurrently and returns the
// tokens' labels and pids by source name.
func fetchAll(t *testing.T, srcs map[string]*host.Source) (labels, pids map[string]string) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	labels, pids = map[string]string{}, map[string]string{}
	for name, src := range srcs {
		wg.Go(func() {
			tok, err := src.Token(ctxT(t))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				return
			}
			label, pid := labelPID(t, tok.AccessToken)
			mu.Lock()
			labels[name], pids[name] = label, pid
			mu.Unlock()
		})
	}
	wg.Wait()
	return labels, pids
}

// registerLabels registers n label providers p0..p<n-1> concurrently.
func registerLabels(t *testing.T, reg *host.Registry, n int, args ...string) map[string]*host.Source {
	t.Helper()
	srcs := map[string]*host.Source{}
	for i := range n {
		name := fmt.Sprintf("p%d", i)
		srcs[name] = mustSource(t, reg, name, labelConfig(name, args...))
	}
	return srcs
}

func TestProvidersOfOnePluginShareOneProcess(t *testing.T) {
	reg, _ := newRegistry(t)
	srcs := registerLabels(t, reg, 50)
	labels, pids := fetchAll(t, srcs)
	for name := range srcs {
		if labels[name] != name {
			t.Errorf("%s got the token of instance %q", name, labels[name])
		}
	}
	if got := pluginPIDs(t, testbin.Path("fault")); len(got) != 1 {
		t.Fatalf("50 providers of one plugin run %d processes %v, want 1", len(got), got)
	}
	for name, pid := range pids {
		if pid != pids["p0"] {
			t.Errorf("%s served by pid %s, p0 by %s", name, pid, pids["p0"])
		}
	}
}

func TestFailingInstanceDoesNotReachAnother(t *testing.T) {
	reg, logs := newRegistry(t)
	bad := labelConfig("bad")
	bad.Settings["behavior"] = "leakencoded" // fails, echoing its secret in its error and log
	mustSource(t, reg, "bad", bad)
	good := registerLabels(t, reg, 5)
	var wg sync.WaitGroup
	wg.Go(func() {
		_, err := reg.Token(ctxT(t), "bad")
		if err == nil {
			t.Error("bad: got a token, want its upstream's error")
			return
		}
		for _, secret := range []string{"secret-of-bad", "secret-of-p0", "secret-of-p4"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("bad's error shows %q: %v", secret, err)
			}
		}
	})
	labels, _ := fetchAll(t, good)
	wg.Wait()
	for name := range good {
		if labels[name] != name {
			t.Errorf("%s: got the token of %q", name, labels[name])
		}
	}
	if got := pluginPIDs(t, testbin.Path("fault")); len(got) != 1 {
		t.Errorf("%d plugin processes, want 1", len(got))
	}
	if strings.Contains(logs.String(), "secret-of-") {
		t.Errorf("a provider's secret reached the log:\n%s", logs.String())
	}
}

func TestSharedPluginLogIsScrubbedOfEveryProvidersSecrets(t *testing.T) {
	reg, logs := newRegistry(t)
	for _, name := range []string{"a", "b", "c"} {
		cfg := labelConfig(name)
		cfg.Settings["behavior"] = "logsecret" // logs its password, unattributed, in the shared log
		if _, err := mustSource(t, reg, name, cfg).Token(ctxT(t)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if got := pluginPIDs(t, testbin.Path("fault")); len(got) != 1 {
		t.Errorf("%d plugin processes, want 1", len(got))
	}
	reg.Close() // flushes the plugin's log
	if strings.Contains(logs.String(), "secret-of-") {
		t.Errorf("a provider's secret reached the shared plugin's log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "fetching") {
		t.Errorf("the plugin's log lines are missing:\n%s", logs.String())
	}
}

func TestCrashOfSharedProcessReconfiguresEveryInstance(t *testing.T) {
	reg, _ := newRegistry(t)
	dir := t.TempDir()
	srcs := registerLabels(t, reg, 30, "--record-instances="+dir)
	_, pids := fetchAll(t, srcs)
	before := map[string]string{}
	for name, src := range srcs {
		tok, err := src.Token(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		before[name] = tok.AccessToken
	}
	pid := mustAtoi(t, pids["p0"])
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for processAlive(pid) {
		runtime.Gosched() // until the host has reaped it
	}
	for name, src := range srcs { // cached tokens keep serving
		tok, err := src.Token(ctxT(t))
		if err != nil || tok.AccessToken != before[name] {
			t.Fatalf("%s after the crash: %v, %v; want its cached token %s", name, tok, err, before[name])
		}
	}
	// One provider's fetch restarts the plugin; the host configures every
	// instance on the new one without waiting for their fetches.
	p0 := srcs["p0"]
	tok, _ := p0.Token(ctxT(t))
	p0.Invalidate(tok)
	tok = mustToken(t, p0)
	_, newPID := labelPID(t, tok.AccessToken)
	waitConfigured(t, dir, newPID, srcs)
	for name, src := range srcs {
		tok, err := src.Token(ctxT(t))
		if err != nil || tok.AccessToken != before[name] && name != "p0" {
			t.Errorf("%s after the restart: %v, %v; want its cached token", name, tok, err)
		}
		src.Invalidate(tok) // the next Token fetches anew, from the new process
	}
	labels, after := fetchAll(t, srcs)
	for name := range srcs {
		if labels[name] != name {
			t.Errorf("%s: got the token of %q after the restart", name, labels[name])
		}
		if after[name] != newPID {
			t.Errorf("%s served by pid %s after the restart, want the new plugin %s", name, after[name], newPID)
		}
	}
	if got := pluginPIDs(t, testbin.Path("fault")); len(got) != 1 {
		t.Errorf("%d plugin processes after the restart, want 1", len(got))
	}
}

// waitConfigured waits until the plugin pid has recorded an instance for
// every source (see faultplugin's --record-instances), or fails after a
// generous bound.
func waitConfigured(t *testing.T, dir, pid string, srcs map[string]*host.Source) {
	t.Helper()
	ctx := ctxT(t)
	for {
		missing := 0
		for name := range srcs {
			if _, err := os.Stat(filepath.Join(dir, pid+"-"+name)); err != nil {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d instances not configured on the restarted plugin", missing)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestSingleInstancePluginRunsOneProcessPerProvider(t *testing.T) {
	reg, _ := newRegistry(t)
	srcs := registerLabels(t, reg, 4, "--single-instance")
	labels, pids := fetchAll(t, srcs)
	seen := map[string]string{}
	for name := range srcs {
		if labels[name] != name {
			t.Errorf("%s: got the token of %q", name, labels[name])
		}
		if other, dup := seen[pids[name]]; dup {
			t.Errorf("%s and %s share pid %s, a plugin without multi_instance", name, other, pids[name])
		}
		seen[pids[name]] = name
	}
	if got := pluginPIDs(t, testbin.Path("fault")); len(got) != 4 {
		t.Errorf("4 providers of a single-instance plugin run %d processes, want 4", len(got))
	}
}

func TestIsolatedProviderGetsItsOwnProcess(t *testing.T) {
	reg, _ := newRegistry(t)
	cfg, err := hostconfig.Parse(strings.NewReader(fmt.Sprintf(
		"providers:\n  own:\n    plugin: fault\n    isolate: true\n    hosts: ['*']\n    settings: {behavior: label, label: own}\n"+
			"  a:\n    plugin: fault\n    hosts: ['*']\n    settings: {behavior: label, label: a}\n"+
			"  b:\n    plugin: fault\n    hosts: ['*']\n    settings: {behavior: label, label: b}\n")), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srcs := map[string]*host.Source{}
	for name, p := range cfg.Providers {
		p.Path = testbin.Path("fault")
		srcs[name] = mustSource(t, reg, name, p)
	}
	labels, pids := fetchAll(t, srcs)
	for name := range srcs {
		if labels[name] != name {
			t.Errorf("%s: got the token of %q", name, labels[name])
		}
	}
	if pids["a"] != pids["b"] || pids["own"] == pids["a"] {
		t.Errorf("pids: own %s, a %s, b %s; want a and b shared, own apart", pids["own"], pids["a"], pids["b"])
	}
	if got := pluginPIDs(t, testbin.Path("fault")); len(got) != 2 {
		t.Errorf("%d plugin processes, want 2", len(got))
	}
}
