package plugintest

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeT is a tb that records what the kit reports instead of failing the
// test: the kit's tests run it against deliberately broken providers and
// assert the failure messages. Fatalf and Skipf end the sub-test's
// goroutine, as testing.T's do.
type fakeT struct {
	name string
	rep  *kitReport

	mu       sync.Mutex // guards failed and cleanups
	failed   bool
	cleanups []func()
}

// kitReport is everything a run of the kit reported, by sub-test.
type kitReport struct {
	mu                  sync.Mutex // guards the slices
	errs, logs, skipped []string   // "sub-test: message"
}

// runKit runs f, a run of the kit, against a fakeT and returns what it
// reported.
func runKit(t *testing.T, f func(t tb)) *kitReport {
	t.Helper()
	root := &fakeT{name: "kit", rep: &kitReport{}}
	root.run("run", f)
	return root.rep
}

func (f *fakeT) Helper() {}

func (f *fakeT) Errorf(format string, args ...any) {
	f.rep.add(&f.rep.errs, f.name+": "+fmt.Sprintf(format, args...))
	f.mu.Lock()
	f.failed = true
	f.mu.Unlock()
}

func (f *fakeT) Logf(format string, args ...any) {
	f.rep.add(&f.rep.logs, f.name+": "+fmt.Sprintf(format, args...))
}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit()
}

func (f *fakeT) Skipf(format string, args ...any) {
	f.rep.add(&f.rep.skipped, f.name+": "+fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func (f *fakeT) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

func (f *fakeT) TempDir() string {
	dir, err := os.MkdirTemp("", "plugintest-fake")
	if err != nil {
		f.Fatalf("TempDir: %v", err)
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func (f *fakeT) run(name string, fn func(t tb)) bool {
	child := &fakeT{name: f.name + "/" + name, rep: f.rep}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer child.cleanup()
		fn(child)
	}()
	<-done
	child.mu.Lock()
	failed := child.failed
	child.mu.Unlock()
	if failed {
		f.mu.Lock()
		f.failed = true
		f.mu.Unlock()
	}
	return !failed
}

func (f *fakeT) cleanup() {
	f.mu.Lock()
	fns := slices.Clone(f.cleanups)
	f.mu.Unlock()
	for _, fn := range slices.Backward(fns) {
		fn()
	}
}

func (r *kitReport) add(to *[]string, s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*to = append(*to, s)
}

// failures returns the errors reported by sub-tests whose name contains
// sub.
func (r *kitReport) failures(sub string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.errs {
		if name, _, _ := strings.Cut(e, ": "); strings.Contains(name, sub) {
			out = append(out, e)
		}
	}
	return out
}

// wantFailure fails t unless the kit reported, in a sub-test whose name
// contains sub, an error containing every one of says.
func (r *kitReport) wantFailure(t *testing.T, sub string, says ...string) {
	t.Helper()
	for _, e := range r.failures(sub) {
		if containsAll(e, says) {
			return
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t.Errorf("want a failure in %q saying %q; the kit reported:\n%s", sub, says, strings.Join(r.errs, "\n"))
}

// wantNoFailure fails t if the kit reported any error.
func (r *kitReport) wantNoFailure(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) > 0 {
		t.Errorf("the kit failed a provider it should pass:\n%s", strings.Join(r.errs, "\n"))
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
