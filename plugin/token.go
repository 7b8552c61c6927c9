package plugin

import (
	"context"
	"errors"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	pb "github.com/tokenplug/tokenplug/plugin/proto"
)

// Keys of the oauth2.Token extras that carry the contract's fields that
// oauth2.Token has no field for; same as tokenplug.ExtraHeader,
// tokenplug.ExtraRefreshAt and tokenplug.ExtraSettingsUpdate.
const (
	// ExtraHeader names the request header for the token. Absent or
	// "Authorization": "Authorization: <type> <token>". Any other header
	// carries the access token raw (e.g. Ocp-Apim-Subscription-Key).
	ExtraHeader = tokenplug.ExtraHeader
	// ExtraRefreshAt is a time.Time hint for when the host should renew.
	ExtraRefreshAt = tokenplug.ExtraRefreshAt
	// ExtraSettingsUpdate is a map[string]string of settings the provider
	// asks its host to keep (see WithSettingsUpdate).
	ExtraSettingsUpdate = tokenplug.ExtraSettingsUpdate
)

// WithHeader returns a copy of tok that is sent in header name instead of
// Authorization, as its raw value. Same as tokenplug.WithHeader.
func WithHeader(tok *oauth2.Token, name string) *oauth2.Token {
	return tokenplug.WithHeader(tok, name)
}

// WithRefreshAt returns a copy of tok carrying a hint for when the host
// should renew it, for schemes whose documentation says when (Azure: 9 of
// its 10 minutes). Same as tokenplug.WithRefreshAt.
func WithRefreshAt(tok *oauth2.Token, at time.Time) *oauth2.Token {
	return tokenplug.WithRefreshAt(tok, at)
}

// HeaderOf returns the header tok should be sent in ("" means
// Authorization). Same as tokenplug.HeaderOf.
func HeaderOf(tok *oauth2.Token) string { return tokenplug.HeaderOf(tok) }

// RefreshAtOf returns tok's refresh hint, or the zero time. Same as
// tokenplug.RefreshAtOf.
func RefreshAtOf(tok *oauth2.Token) time.Time { return tokenplug.RefreshAtOf(tok) }

// WithSettingsUpdate returns a copy of tok that asks the host to keep
// settings (a rotated refresh token, say) and hand them back whenever it
// configures the instance again. Same as tokenplug.WithSettingsUpdate.
func WithSettingsUpdate(tok *oauth2.Token, settings map[string]string) *oauth2.Token {
	return tokenplug.WithSettingsUpdate(tok, settings)
}

// SettingsUpdateOf returns the settings update tok carries, or nil. Same as
// tokenplug.SettingsUpdateOf.
func SettingsUpdateOf(tok *oauth2.Token) map[string]string { return tokenplug.SettingsUpdateOf(tok) }

// Challenge is a server's Bearer challenge (RFC 6750 §3), as a host hands
// it to a ChallengeTokenSource. Same as tokenplug.Challenge.
type Challenge = tokenplug.Challenge

// ErrChallengeUnsupported says a provider instance does not answer
// challenges. The SDK returns it for an instance whose token source is not
// a ChallengeTokenSource, and a TokenForChallenge may return it (wrapped)
// for a configuration that never can (a mode without scopes, say): the
// host then stops sending that instance challenges. For a challenge the
// settings do not allow (a scope beyond challenge_scopes), return a
// Permanent error naming the setting instead.
var ErrChallengeUnsupported = errors.New("tokenplug: provider does not answer challenges")

func challengeToProto(c Challenge) *pb.Challenge {
	return &pb.Challenge{Error: c.Error, Scope: c.Scope, Claims: c.Claims, AcrValues: c.ACRValues, MaxAge: c.MaxAge}
}

func challengeFromProto(c *pb.Challenge) Challenge {
	return Challenge{Error: c.GetError(), Scope: c.GetScope(), Claims: c.GetClaims(), ACRValues: c.GetAcrValues(), MaxAge: c.GetMaxAge()}
}

// ChallengeTokenSource is implemented by a token source (the one Configure
// returns) that can answer a resource server's challenge: a missing scope,
// a claims request, a step-up. The SDK declares the capability to the host
// when the token sources a provider returns implement it. Answer only what
// the user's settings allow; return a Permanent error for the rest.
type ChallengeTokenSource interface {
	oauth2.TokenSource
	TokenForChallenge(ctx context.Context, c Challenge) (*oauth2.Token, error)
}
