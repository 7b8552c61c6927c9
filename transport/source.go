package transport

import (
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
)

// TokenSource supplies the tokens a Transport sends; same as
// tokenplug.TokenSource. *host.Source implements it, and [FromOAuth2]
// adapts any oauth2.TokenSource.
//
// Token is called once per authorized request (twice when a 401 is
// retried; a challenge is answered through TokenForChallenge instead), from many goroutines at once, with the request's context; the
// Transport keeps no cache of its own and does not modify the token.
type TokenSource = tokenplug.TokenSource

// Invalidator is optionally implemented by a TokenSource that can drop a
// token a server rejected; same as tokenplug.Invalidator. The Transport
// calls it on a 401.
type Invalidator = tokenplug.Invalidator

// FromOAuth2 adapts an oauth2.TokenSource to a TokenSource; same as
// tokenplug.FromOAuth2. FromOAuth2(nil), or of a nil pointer, returns nil,
// which New turns into a Transport that fails every request. The adapter
// does not pass on a HostScope method: give the Transport its hosts with
// WithHosts.
func FromOAuth2(ts oauth2.TokenSource) TokenSource { return tokenplug.FromOAuth2(ts) }

// namer is implemented by sources that know their provider's name
// (*host.Source does).
type namer interface{ Name() string }
