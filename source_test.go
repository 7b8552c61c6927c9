package tokenplug_test

import (
	"context"
	"errors"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
)

type plainSource struct{ calls int }

func (s *plainSource) Token() (*oauth2.Token, error) {
	s.calls++
	return &oauth2.Token{AccessToken: "plain"}, nil
}

type richSource struct {
	plainSource
	gotCtx      context.Context
	invalidated *oauth2.Token
}

func (s *richSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	s.gotCtx = ctx
	return &oauth2.Token{AccessToken: "ctx"}, nil
}
func (s *richSource) Invalidate(tok *oauth2.Token) { s.invalidated = tok }
func (s *richSource) Name() string                 { return "rich" }

// FromOAuth2 of nil, or of a nil pointer, is nil, so that both senders fail
// closed instead of panicking on the first request (grpccreds' own copy did
// not pass on TokenContext, Invalidate or Name).
func TestFromOAuth2NilIsNil(t *testing.T) {
	var nilPtr *plainSource
	if tokenplug.FromOAuth2(nil) != nil || tokenplug.FromOAuth2(nilPtr) != nil {
		t.Fatal("FromOAuth2(nil) is not nil")
	}
}

// ctxKey marks the caller's context in tests.
type ctxKey struct{}

func TestFromOAuth2PassesThroughContextInvalidateAndName(t *testing.T) {
	rich := &richSource{}
	src := tokenplug.FromOAuth2(rich)
	ctx := context.WithValue(context.Background(), ctxKey{}, 1)
	if tok, err := src.Token(ctx); err != nil || tok.AccessToken != "ctx" || rich.gotCtx != ctx {
		t.Fatalf("Token = %v, %v; want TokenContext called with the caller's context", tok, err)
	}
	inv, ok := src.(tokenplug.Invalidator)
	if !ok {
		t.Fatal("adapter of an Invalidator is not one")
	}
	rejected := &oauth2.Token{AccessToken: "old"}
	inv.Invalidate(rejected)
	if rich.invalidated != rejected {
		t.Error("Invalidate was not passed through")
	}
	if n, _ := src.(interface{ Name() string }); n == nil || n.Name() != "rich" {
		t.Error("Name was not passed through")
	}
}

func TestFromOAuth2PlainSource(t *testing.T) {
	plain := &plainSource{}
	src := tokenplug.FromOAuth2(plain)
	if _, ok := src.(tokenplug.Invalidator); ok {
		t.Error("adapter claims to invalidate for a source that cannot")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Token(ctx); !errors.Is(err, context.Canceled) || plain.calls != 0 {
		t.Errorf("Token on a cancelled context = %v after %d calls; want Canceled, no call", err, plain.calls)
	}
	if tok, err := src.Token(context.Background()); err != nil || tok.AccessToken != "plain" {
		t.Errorf("Token = %v, %v", tok, err)
	}
}
