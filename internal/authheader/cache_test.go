package authheader_test

import (
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/internal/authheader"
)

type header struct{ name, value string }

func headerOf(tok *oauth2.Token) header {
	n, v := tokenplug.RequestHeader(tok)
	return header{n, v}
}

func TestCacheDerivesOncePerToken(t *testing.T) {
	var c authheader.Cache[header]
	calls := 0
	derive := func(tok *oauth2.Token) header { calls++; return headerOf(tok) }
	a := &oauth2.Token{AccessToken: "a", TokenType: "bearer"}
	for range 3 {
		if got := c.Get(a, derive); got != (header{"Authorization", "Bearer a"}) {
			t.Fatalf("Get(a) = %v", got)
		}
	}
	if calls != 1 {
		t.Errorf("derived %d times for one token, want 1", calls)
	}
	b := tokenplug.WithHeader(&oauth2.Token{AccessToken: "b"}, "Ocp-Apim-Subscription-Key")
	if got := c.Get(b, derive); got != (header{"Ocp-Apim-Subscription-Key", "b"}) {
		t.Errorf("Get(b) = %v, want b's own header", got)
	}
	if got := c.Get(a, derive); got != (header{"Authorization", "Bearer a"}) {
		t.Errorf("Get(a) after b = %v", got)
	}
}

// A source that rewrites its token in place (same pointer) must not get
// the old header back.
func TestCacheSeesATokenRewrittenInPlace(t *testing.T) {
	var c authheader.Cache[header]
	tok := &oauth2.Token{AccessToken: "old", TokenType: "bearer"}
	c.Get(tok, headerOf)
	tok.AccessToken = "new"
	if got := c.Get(tok, headerOf); got.value != "Bearer new" {
		t.Errorf("after AccessToken changed: %q, want Bearer new", got.value)
	}
	tok.TokenType = "MAC"
	if got := c.Get(tok, headerOf); got.value != "MAC new" {
		t.Errorf("after TokenType changed: %q, want MAC new", got.value)
	}
}

func TestCacheGetDoesNotAllocateOnAHit(t *testing.T) {
	var c authheader.Cache[header]
	tok := &oauth2.Token{AccessToken: "a"}
	c.Get(tok, headerOf)
	if n := testing.AllocsPerRun(100, func() { c.Get(tok, headerOf) }); n != 0 {
		t.Errorf("a hit allocates %v times, want 0", n)
	}
}
