package emulator_test

import (
	"context"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/emulator"
)

var (
	_ tokenplug.TokenSource = (*emulator.Source)(nil)
	_ tokenplug.Invalidator = (*emulator.Source)(nil)
)

func TestSourceMintsAgainOnlyAfterItsCurrentTokenIsRejected(t *testing.T) {
	src := emulator.NewSource("demo")
	first, err := src.Token(t.Context())
	if err != nil || first.AccessToken != "demo-token-1" || first.Type() != "Bearer" || src.Name() != "demo" {
		t.Fatalf("first token %v, %v (name %q)", first, err, src.Name())
	}
	if again, _ := src.Token(t.Context()); again != first {
		t.Fatalf("second call = %v, want the current token", again)
	}
	src.Invalidate(&oauth2.Token{AccessToken: "some-older-token"})
	if cur, _ := src.Token(t.Context()); cur != first {
		t.Fatal("rejecting another token dropped the current one")
	}
	src.Invalidate(first)
	second, _ := src.Token(t.Context())
	if second.AccessToken != "demo-token-2" || src.Minted() != 2 {
		t.Fatalf("after a rejection: %v, minted %d", second, src.Minted())
	}
	src.Invalidate(nil)
	if third, _ := src.Token(t.Context()); third.AccessToken != "demo-token-3" {
		t.Fatalf("Invalidate(nil): next token %v", third)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := src.Token(ctx); err != context.Canceled {
		t.Errorf("Token(done ctx) = %v, want its error", err)
	}
}

func TestSourceMintsOnceForCallersRacingARejection(t *testing.T) {
	src := emulator.NewSource("demo")
	tok, _ := src.Token(t.Context())
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			src.Invalidate(tok)
			if _, err := src.Token(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := src.Minted(); n != 2 {
		t.Errorf("16 callers rejecting the same token: %d tokens minted, want 2", n)
	}
}
