package host_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin"
)

// answeringSource is the fault plugin answering challenges with scopes
// within allowed.
func answeringSource(t *testing.T, reg *host.Registry, allowed string) *host.Source {
	t.Helper()
	return faultSource(t, reg, "answers", "ok", "answer_challenges", "yes", "challenge_scopes", allowed)
}

func scopeChallenge(scope string) tokenplug.Challenge {
	return tokenplug.Challenge{Error: "insufficient_scope", Scope: scope}
}

func TestATokenForAChallengeIsCachedApartFromTheDefaultOne(t *testing.T) {
	reg, _ := newRegistry(t)
	src := answeringSource(t, reg, "read write")
	def := mustToken(t, src)
	ch, err := src.TokenForChallenge(ctxT(t), scopeChallenge("write read"))
	if err != nil {
		t.Fatal(err)
	}
	if ch.AccessToken != "ch-2.read+write..." {
		t.Fatalf("challenge token %q, want ch-2 for the scopes read and write (sorted)", ch.AccessToken)
	}
	again, err := src.TokenForChallenge(ctxT(t), tokenplug.Challenge{Error: "insufficient_scope", Scope: "read write read"})
	if err != nil || again != ch {
		t.Fatalf("the same demand got %v, %v; want the cached %q", again, err, ch.AccessToken)
	}
	if tok := mustToken(t, src); tok != def {
		t.Fatalf("the default token became %q, want %q still", tok.AccessToken, def.AccessToken)
	}
}

func TestAScopeBeyondTheAllowedOnesIsRefusedAndCostsNoFetch(t *testing.T) {
	reg, logs := newRegistry(t)
	src := answeringSource(t, reg, "read")
	def := mustToken(t, src)
	_, err := src.TokenForChallenge(ctxT(t), scopeChallenge("admin"))
	if !errors.Is(err, tokenplug.ErrPermanent) || !strings.Contains(err.Error(), "challenge_scopes") || !strings.Contains(err.Error(), `"admin"`) {
		t.Fatalf("err = %v; want a permanent error naming the scope and challenge_scopes", err)
	}
	if !strings.Contains(logs.String(), "challenge not answered") {
		t.Errorf("no debug log of the refusal: %s", logs)
	}
	ok, err := src.TokenForChallenge(ctxT(t), scopeChallenge("read"))
	if err != nil || !strings.HasPrefix(ok.AccessToken, "ch-2.") {
		t.Fatalf("allowed scope: %v, %v; want ch-2 (the refusal fetched nothing)", ok, err)
	}
	if tok := mustToken(t, src); tok != def {
		t.Fatal("a refused challenge changed the default token")
	}
}

func TestAnEntraClaimsChallengeIsAnsweredWithTheClaims(t *testing.T) {
	reg, _ := newRegistry(t)
	src := answeringSource(t, reg, "")
	claims := `{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}`
	tok, err := src.TokenForChallenge(ctxT(t), tokenplug.Challenge{Error: "insufficient_claims", Claims: claims})
	if err != nil {
		t.Fatal(err)
	}
	want := "ch-1.." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".."
	if tok.AccessToken != want {
		t.Fatalf("token %q, want %q (carrying the claims)", tok.AccessToken, want)
	}
}

func TestAPluginThatCannotAnswerGetsNoChallengeAndNoFetch(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		sets []string
	}{
		{"a token source that is no ChallengeTokenSource", nil, nil},
		{"a plugin from an SDK before challenges", []string{"--no-challenges"}, []string{"answer_challenges", "yes"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reg, _ := newRegistry(t)
			settings := map[string]string{"behavior": "ok"}
			for i := 0; i+1 < len(tt.sets); i += 2 {
				settings[tt.sets[i]] = tt.sets[i+1]
			}
			src := mustSource(t, reg, "cannot", host.ProviderConfig{Path: testbin.Path("fault"), Args: tt.args, Hosts: []string{"127.0.0.1"}, Settings: settings})
			def := mustToken(t, src)
			for range 3 {
				tok, err := src.TokenForChallenge(ctxT(t), scopeChallenge("read"))
				if !errors.Is(err, plugin.ErrChallengeUnsupported) || !errors.Is(err, tokenplug.ErrPermanent) {
					t.Fatalf("TokenForChallenge = %v, %v; want a permanent ErrChallengeUnsupported", tok, err)
				}
			}
			src.Invalidate(def)
			if tok := mustToken(t, src); tok.AccessToken != "tok-2" {
				t.Fatalf("next fetch got %q, want tok-2: a challenge reached the plugin's upstream", tok.AccessToken)
			}
		})
	}
}

func TestChallengeTokensAreBoundedEvictingTheLeastRecentlyUsed(t *testing.T) {
	reg, _ := newRegistry(t)
	var scopes []string
	for i := range 20 {
		scopes = append(scopes, fmt.Sprint("s", i))
	}
	src := answeringSource(t, reg, strings.Join(scopes, " "))
	first := func(scope string) string {
		t.Helper()
		tok, err := src.TokenForChallenge(ctxT(t), scopeChallenge(scope))
		if err != nil {
			t.Fatal(err)
		}
		return strings.SplitN(tok.AccessToken, ".", 2)[0]
	}
	if got := first("s0"); got != "ch-1" {
		t.Fatalf("s0: %s", got)
	}
	for i := 1; i <= 16; i++ { // 16 more: s0 is the oldest of 17
		first(scopes[i])
	}
	if got := first("s16"); got != "ch-17" {
		t.Fatalf("s16 again: %s, want the cached ch-17", got)
	}
	if got := first("s0"); got != "ch-18" {
		t.Fatalf("s0 again: %s, want a new fetch (ch-18): it was evicted", got)
	}
}

func TestARejectedChallengeTokenIsRefetchedOnceAndTheDefaultKept(t *testing.T) {
	reg, _ := newRegistry(t)
	src := answeringSource(t, reg, "read")
	def := mustToken(t, src)
	ch, err := src.TokenForChallenge(ctxT(t), scopeChallenge("read"))
	if err != nil {
		t.Fatal(err)
	}
	src.Invalidate(ch)
	ch2, err := src.TokenForChallenge(ctxT(t), scopeChallenge("read"))
	if err != nil || ch2.AccessToken != "ch-3.read..." {
		t.Fatalf("after invalidation: %v, %v; want ch-3", ch2, err)
	}
	src.Invalidate(ch2) // fetched after an invalidation: kept for the window
	if ch3, _ := src.TokenForChallenge(ctxT(t), scopeChallenge("read")); ch3 != ch2 {
		t.Fatalf("a refetched challenge token was dropped again within the invalidation window")
	}
	if tok := mustToken(t, src); tok != def {
		t.Fatal("invalidating a challenge token dropped the default token")
	}
}

func TestAChallengeTokenHasASharedCacheKeyOfItsOwn(t *testing.T) {
	cache := &recordingCache{}
	reg, _ := newRegistry(t, host.WithCache(cache))
	src := answeringSource(t, reg, "read")
	mustToken(t, src)
	if _, err := src.TokenForChallenge(ctxT(t), scopeChallenge("read")); err != nil {
		t.Fatal(err)
	}
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if len(cache.keys) != 2 || cache.settings["tokenplug:challenge"] == "" || cache.settings["challenge_scopes"] != "read" {
		t.Fatalf("Key calls %v, last settings %v; want a second key with the challenge added to the settings", cache.keys, cache.settings)
	}
}

func TestChallengesAreCountedByKnownErrorCodeOnly(t *testing.T) {
	f := newOtelFixture(t)
	src := answeringSource(t, f.reg, "read")
	for _, c := range []tokenplug.Challenge{scopeChallenge("read"), scopeChallenge("read"), scopeChallenge("admin"), {Error: "made_up secret text", Claims: "{}"}} {
		_, _ = src.TokenForChallenge(ctxT(t), c)
	}
	wantPoints(t, f.points(t), map[string]float64{
		"tokenplug.challenges tokenplug.challenge.error=insufficient_scope,tokenplug.outcome=answered,tokenplug.provider=answers": 1,
		"tokenplug.challenges tokenplug.challenge.error=insufficient_scope,tokenplug.outcome=cached,tokenplug.provider=answers":   1,
		"tokenplug.challenges tokenplug.challenge.error=insufficient_scope,tokenplug.outcome=refused,tokenplug.provider=answers":  1,
		"tokenplug.challenges tokenplug.challenge.error=other,tokenplug.outcome=answered,tokenplug.provider=answers":              1,
	})
}

// freshContextCache fetches on a context of its own, as a careless
// SharedCache might.
type freshContextCache struct{ recordingCache }

func (c *freshContextCache) Token(_ context.Context, key, rejected string, fetch func(context.Context) (*oauth2.Token, error)) (*oauth2.Token, error) {
	return c.recordingCache.Token(context.Background(), key, rejected, fetch)
}

func TestAChallengeFetchStaysOneThroughACacheThatDropsTheContext(t *testing.T) {
	reg, _ := newRegistry(t, host.WithCache(&freshContextCache{}))
	src := answeringSource(t, reg, "read")
	tok, err := src.TokenForChallenge(ctxT(t), scopeChallenge("read"))
	if err != nil || !strings.HasPrefix(tok.AccessToken, "ch-1.read") {
		t.Fatalf("TokenForChallenge = %v, %v; want a token answering the challenge", tok, err)
	}
}
