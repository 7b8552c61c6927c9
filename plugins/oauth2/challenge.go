package oauth2

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// TokenForChallenge fetches a token that answers a resource server's
// Bearer challenge (RFC 6750 §3), for that challenge only: the source's
// configuration is left as it was (a rotated refresh token is kept, as by
// any fetch).
//
//   - scope: the token is requested with the configured scope plus the
//     challenge's. Every scope the challenge adds must be listed in
//     ChallengeScopes (setting challenge_scopes): a server may not widen
//     what the user allowed. Otherwise the error is Permanent and names
//     the missing scopes and the setting.
//   - claims: always answered (claims narrow, they do not widen), by
//     sending the JSON as the claims parameter, as MSAL does for Entra
//     ID's continuous access evaluation (OpenID Connect Core §5.5).
//   - acr_values, max_age (RFC 9470 step-up): Permanent. They ask a user
//     to authenticate again at the authorization endpoint (RFC 9470 §4);
//     no grant this source uses has a user present, and a token endpoint
//     ignores them, so sending them would fetch the same refused token.
//
// A challenge with none of these (invalid_token alone) gets a fresh token
// for the configured scope.
func (s *TokenSource) TokenForChallenge(ctx context.Context, c plugin.Challenge) (*oauth2.Token, error) {
	if c.ACRValues != "" || c.MaxAge != "" {
		return nil, plugin.Permanent(s.errorf("cannot answer a step-up challenge (acr_values, max_age): it needs a user to authenticate again, and grant %s has none", s.cfg.Grant))
	}
	r := request{scope: s.cfg.Scope}
	if c.Scope != "" {
		scope, err := s.challengeScope(c.Scope)
		if err != nil {
			return nil, err
		}
		r.scope = scope
	}
	if c.Claims != "" {
		if !json.Valid([]byte(c.Claims)) || !strings.HasPrefix(strings.TrimSpace(c.Claims), "{") {
			return nil, plugin.Permanent(s.errorf("the challenge's claims are not a JSON object"))
		}
		r.claims = c.Claims
	}
	return s.fetch(ctx, r)
}

// maxNamed bounds how many refused scopes an error names.
const maxNamed = 5

// challengeScope returns the configured scope with the challenge's added,
// or a Permanent error naming the scopes challenge_scopes does not allow.
func (s *TokenSource) challengeScope(challenged string) (string, error) {
	have := strings.Fields(s.cfg.Scope)
	allowed := strings.Fields(s.cfg.ChallengeScopes)
	var missing []string
	scope := have
	for _, sc := range strings.Fields(challenged) {
		switch {
		case slices.Contains(scope, sc):
		case slices.Contains(allowed, sc):
			scope = append(scope, sc)
		default:
			missing = append(missing, safeWord(sc))
		}
	}
	if len(missing) > maxNamed {
		missing = append(missing[:maxNamed], "...")
	}
	if len(missing) > 0 {
		return "", plugin.Permanent(s.errorf("the server asks for scope %s, which setting %s does not allow",
			strings.Join(missing, " "), SettingChallengeScopes))
	}
	return strings.Join(scope, " "), nil
}
