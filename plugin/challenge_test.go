package plugin

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// answering is a ChallengeTokenSource that echoes what it was asked.
type answering struct{ tokenFunc }

func (answering) TokenForChallenge(_ context.Context, c Challenge) (*oauth2.Token, error) {
	if c.Scope == "refuse" {
		return nil, Permanent(errors.New("tokenplug/stub: scope refuse is not in challenge_scopes"))
	}
	if c.Scope == "never" {
		return nil, ErrChallengeUnsupported
	}
	return &oauth2.Token{AccessToken: strings.Join([]string{"ch", c.Error, c.Scope, c.Claims, c.ACRValues, c.MaxAge}, "|")}, nil
}

func dialWith(t *testing.T, ts oauth2.TokenSource) *client {
	t.Helper()
	c := dial(t, stubProvider{configure: func(map[string]string) (oauth2.TokenSource, error) { return ts, nil }})
	if err := c.Configure(ctx(t), map[string]string{"api_key": "k"}); err != nil {
		t.Fatal(err)
	}
	return c
}

func defaultToken(context.Context) (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: "default"}, nil
}

func TestTheSDKDeclaresItAnswersChallenges(t *testing.T) {
	c := dialWith(t, tokenFunc(defaultToken))
	d, err := c.Describe(ctx(t))
	if err != nil || !d.AnswersChallenges {
		t.Fatalf("Describe = %+v, %v; want AnswersChallenges", d, err)
	}
}

func TestAChallengeReachesTheTokenSourceWhole(t *testing.T) {
	c := dialWith(t, answering{tokenFunc(defaultToken)})
	ch := Challenge{Error: "insufficient_user_authentication", Scope: "a b", Claims: `{"id_token":{}}`, ACRValues: "x y", MaxAge: "5"}
	tok, err := c.ChallengeToken(ctx(t), "", ch)
	if err != nil || tok.AccessToken != `ch|insufficient_user_authentication|a b|{"id_token":{}}|x y|5` {
		t.Fatalf("ChallengeToken = %v, %v", tok, err)
	}
	if tok, err := c.Token(ctx(t), false); err != nil || tok.AccessToken != "default" {
		t.Fatalf("Token without a challenge = %v, %v; want the default token", tok, err)
	}
}

func TestAChallengeTheSourceCannotAnswerIsRefusedByKind(t *testing.T) {
	tests := []struct {
		name   string
		ts     oauth2.TokenSource
		scope  string
		want   error
		refuse bool // ErrChallengeUnsupported
	}{
		{"a source that is no ChallengeTokenSource", tokenFunc(defaultToken), "a", ErrPermanent, true},
		{"a source that says it never answers", answering{tokenFunc(defaultToken)}, "never", ErrPermanent, true},
		{"a scope the settings do not allow", answering{tokenFunc(defaultToken)}, "refuse", ErrPermanent, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialWith(t, tt.ts)
			_, err := c.ChallengeToken(ctx(t), "", Challenge{Error: "insufficient_scope", Scope: tt.scope})
			if !errors.Is(err, tt.want) || errors.Is(err, ErrChallengeUnsupported) != tt.refuse {
				t.Fatalf("err = %v; want %v, ErrChallengeUnsupported %v", err, tt.want, tt.refuse)
			}
		})
	}
}
