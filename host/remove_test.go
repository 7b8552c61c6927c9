package host_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// pidConfig is a fault-plugin provider whose tokens are its plugin's pid,
// valid for an hour; providers of it share one plugin process.
func pidConfig() host.ProviderConfig {
	return host.ProviderConfig{Path: testbin.Path("fault"), Hosts: []string{"127.0.0.1"},
		Settings: map[string]string{"behavior": "pid", "lifetime": "1h"}}
}

func TestRemoveEndsOneTenantAndKeepsTheSharedProcessForTheOthers(t *testing.T) {
	reg, _ := newRegistry(t)
	srcs := map[string]*host.Source{}
	for _, name := range []string{"a", "b", "c"} {
		srcs[name] = mustSource(t, reg, name, pidConfig())
	}
	pid := 0
	for name, src := range srcs {
		tok, err := src.Token(ctxT(t))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p := mustAtoi(t, tok.AccessToken); pid != 0 && p != pid {
			t.Fatalf("providers of one binary run in processes %d and %d", pid, p)
		} else {
			pid = p
		}
	}

	if err := reg.Remove("b"); err != nil {
		t.Fatal(err)
	}
	// b's holder gets an error, not its cached token, and never a fetch.
	_, err := srcs["b"].Token(ctxT(t))
	if !errors.Is(err, host.ErrRemoved) || !errors.Is(err, tokenplug.ErrPermanent) || tokenplug.ProviderOf(err) != "b" {
		t.Fatalf("removed source's Token = %v, want a permanent ErrRemoved naming b", err)
	}
	if _, err := reg.Source("b"); !errors.Is(err, host.ErrUnknownProvider) {
		t.Errorf("Source(b) after Remove = %v, want ErrUnknownProvider", err)
	}
	if names := reg.Names(); len(names) != 2 || names[0] != "a" || names[1] != "c" {
		t.Errorf("Names after Remove = %q", names)
	}
	if err := reg.Remove("b"); !errors.Is(err, host.ErrUnknownProvider) {
		t.Errorf("second Remove(b) = %v, want ErrUnknownProvider", err)
	}
	// The others keep their process; a fresh fetch goes to it too.
	for _, name := range []string{"a", "c"} {
		srcs[name].Invalidate(nil)
		if tok, err := srcs[name].Token(ctxT(t)); err != nil || mustAtoi(t, tok.AccessToken) != pid {
			t.Fatalf("%s after removing b: %v, %v; want a token from process %d", name, tok, err, pid)
		}
	}
	// The name can be registered again, and its new Source fetches.
	again := mustSource(t, reg, "b", pidConfig())
	if tok, err := again.Token(ctxT(t)); err != nil || mustAtoi(t, tok.AccessToken) != pid {
		t.Fatalf("b registered again: %v, %v", tok, err)
	}

	// The process stops with its last provider.
	for _, name := range []string{"a", "b", "c"} {
		if err := reg.Remove(name); err != nil {
			t.Fatal(err)
		}
	}
	waitGone(t, pid)
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	if err := reg.Remove("a"); !errors.Is(err, host.ErrClosed) {
		t.Errorf("Remove after Close = %v, want ErrClosed", err)
	}
}

func TestRemoveWhileCallersFetchNeitherRacesNorLeaks(t *testing.T) {
	reg, _ := newRegistry(t)
	keep := mustSource(t, reg, "keep", pidConfig())
	gone := mustSource(t, reg, "gone", pidConfig())
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 32 {
		wg.Go(func() {
			for range 20 {
				gone.Invalidate(nil)
				if _, err := gone.Token(ctxT(t)); err != nil && !errors.Is(err, host.ErrRemoved) {
					errs <- err
					return
				}
			}
		})
	}
	if err := reg.Remove("gone"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a caller racing Remove got %v, want a token or ErrRemoved", err)
	}
	if _, err := gone.Token(ctxT(t)); !errors.Is(err, host.ErrRemoved) {
		t.Errorf("after Remove: %v", err)
	}
	if _, err := keep.Token(ctxT(t)); err != nil {
		t.Errorf("the other provider: %v", err)
	}
}
