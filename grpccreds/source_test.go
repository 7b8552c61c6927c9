package grpccreds_test

import (
	"context"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/grpccreds"
)

// ctxSource is an oauth2.TokenSource with TokenContext and Invalidate, as a
// plugin's source or an application's own might be.
type ctxSource struct {
	deadlineSeen bool
	invalidated  bool
}

func (s *ctxSource) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }
func (s *ctxSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	_, s.deadlineSeen = ctx.Deadline()
	return &oauth2.Token{AccessToken: "t"}, nil
}
func (s *ctxSource) Invalidate(*oauth2.Token) { s.invalidated = true }

// grpccreds.FromOAuth2 is the core's: the RPC's deadline reaches a
// context-aware source, and an Invalidator stays one so the interceptors
// can drop a rejected token. grpccreds' own copy did neither.
func TestFromOAuth2KeepsContextAndInvalidate(t *testing.T) {
	s := &ctxSource{}
	src := grpccreds.FromOAuth2(s)
	ctx, cancel := context.WithTimeout(context.Background(), 1<<40)
	defer cancel()
	if _, err := src.Token(ctx); err != nil || !s.deadlineSeen {
		t.Fatalf("Token: err %v, deadline seen %v; want TokenContext with the RPC's deadline", err, s.deadlineSeen)
	}
	inv, ok := src.(grpccreds.Invalidator)
	if !ok {
		t.Fatal("FromOAuth2 of an Invalidator is not an Invalidator")
	}
	inv.Invalidate(nil)
	if !s.invalidated {
		t.Error("Invalidate was not passed through")
	}
}
