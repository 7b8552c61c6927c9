package tokenplug

import (
	"context"

	"golang.org/x/oauth2"
)

// Challenge is what a resource server asked for when it refused a token, as
// the parameters of a Bearer challenge in WWW-Authenticate (RFC 6750 §3,
// RFC 9470 §3 step-up, Entra ID's claims challenges). Every field is as the
// server sent it, except Claims, which is decoded from base64url when the
// server encoded it. Empty means absent.
type Challenge struct {
	Error     string // error: "insufficient_scope", "invalid_token", "insufficient_claims", "insufficient_user_authentication", ...
	Scope     string // scope: space-separated scopes the request needs (RFC 6750 §3)
	Claims    string // claims: a JSON claims request (OpenID Connect Core §5.5; Entra CAE)
	ACRValues string // acr_values: space-separated authentication context classes (RFC 9470 §3)
	MaxAge    string // max_age: seconds, digits only (RFC 9470 §3)
}

// ChallengeSource is optionally implemented by a TokenSource that can fetch
// a token answering a server's challenge. The token it returns is for that
// challenge only: it neither replaces nor invalidates the source's default
// token. An error matching ErrPermanent says the challenge cannot be
// answered (a scope the user did not allow, say) and the caller should
// return the server's response as it came. Safe for concurrent use.
type ChallengeSource interface {
	TokenForChallenge(ctx context.Context, c Challenge) (*oauth2.Token, error)
}
