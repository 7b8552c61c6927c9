package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// challengeSource answers challenges as a careful provider does: a scope
// only within challenge_scopes (else a permanent error naming the scope
// and the setting), claims always. Its tokens count with the source's
// others and show what they answer: "ch-<n>.<scopes joined by +>.<claims
// in base64url>.<acr_values joined by +>.<max_age>", so tests can see that
// the server's demands reached the provider.
type challengeSource struct {
	*source
	allowed []string
}

var _ plugin.ChallengeTokenSource = (*challengeSource)(nil)

func (s *challengeSource) TokenForChallenge(ctx context.Context, c plugin.Challenge) (*oauth2.Token, error) {
	for _, sc := range strings.Fields(c.Scope) {
		if !slices.Contains(s.allowed, sc) {
			return nil, plugin.Permanent(fmt.Errorf("tokenplug/fault: the server asks for scope %q, which challenge_scopes does not allow", sc))
		}
	}
	tok, err := s.TokenContext(ctx)
	if err != nil {
		return nil, err
	}
	t := *tok
	t.AccessToken = fmt.Sprintf("ch-%d.%s.%s.%s.%s", s.n.Load(), strings.ReplaceAll(c.Scope, " ", "+"),
		base64.RawURLEncoding.EncodeToString([]byte(c.Claims)), strings.ReplaceAll(c.ACRValues, " ", "+"), c.MaxAge)
	return &t, nil
}
