package wwwauth

import (
	"slices"
	"strings"

	"github.com/tokenplug/tokenplug"
)

// The error codes of a Bearer challenge (RFC 6750 §3.1, RFC 9470 §3, and
// Entra ID's insufficient_claims).
const (
	InvalidRequest               = "invalid_request"
	InvalidToken                 = "invalid_token"
	InsufficientScope            = "insufficient_scope"
	InsufficientClaims           = "insufficient_claims"
	InsufficientUserAuthenticate = "insufficient_user_authentication"
)

// Answerable reports whether c asks for a different token, one a provider
// may fetch for it: a missing scope, claims, or a step-up. Any other
// challenge (invalid_token, none at all) says the token itself was refused,
// which the ordinary 401 handling covers.
func Answerable(c tokenplug.Challenge) bool {
	switch c.Error {
	case InsufficientScope, InsufficientClaims, InsufficientUserAuthenticate:
		return true
	}
	return c.Claims != "" // Entra sends claims challenges with other codes too
}

// Refusal returns the Bearer challenge of a refused request that asks for
// another token, from its WWW-Authenticate values: an answerable challenge
// on a 401 (gRPC: Unauthenticated), or on a 403 (PermissionDenied) only
// for insufficient_scope, as RFC 6750 §3.1 sends it. forbidden says the
// refusal was a 403.
func Refusal(values []string, forbidden bool) (tokenplug.Challenge, bool) {
	c, ok := Parse(values)
	if !ok || !Answerable(c) || forbidden && c.Error != InsufficientScope {
		return tokenplug.Challenge{}, false
	}
	return c, true
}

// ErrorCode returns c.Error if it is one of the codes above, "none" if it
// is empty, else "other": a metric attribute holds only these words, never
// text a server chose.
func ErrorCode(c tokenplug.Challenge) string {
	switch c.Error {
	case InvalidRequest, InvalidToken, InsufficientScope, InsufficientClaims, InsufficientUserAuthenticate:
		return c.Error
	case "":
		return "none"
	}
	return "other"
}

// Normalize returns c with its scope tokens sorted and deduplicated, and
// the key that names what a token answering it must satisfy: two
// challenges with the same key are answered by the same token. The error
// code is not part of it (the same scope asked by insufficient_scope or by
// another code needs the same token).
func Normalize(c tokenplug.Challenge) (tokenplug.Challenge, string) {
	if c.Scope != "" {
		s := strings.Fields(c.Scope)
		slices.Sort(s)
		c.Scope = strings.Join(slices.Compact(s), " ")
	}
	// Unit separators cannot occur in the parsed values (no control
	// characters), so the key is unambiguous.
	return c, strings.Join([]string{c.Scope, c.Claims, c.ACRValues, c.MaxAge}, "\x1f")
}
