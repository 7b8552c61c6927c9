package transport

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/tokenplug/tokenplug"
)

// TokenError is returned by RoundTrip when the token source failed, so the
// request was not sent. http.Client wraps it in a *url.Error; errors.As finds
// it through that, and errors.Is sees through it to the source's error (for
// example tokenplug.ErrPermanent or context.DeadlineExceeded).
//
// Its message names the provider once and never contains a token: the
// Transport adds only the provider name to the source's error, whose text
// the source must keep free of secrets, and not even that when the error
// already names its provider (a *tokenplug.Error with a Provider, as a
// host.Source returns, or a message quoting the name).
type TokenError struct {
	Provider string // the Transport's name for its source (see WithName)
	Err      error  // what the source returned
}

func (e *TokenError) Error() string {
	cause, name := e.Err.Error(), strconv.Quote(e.Provider)
	if tokenplug.ProviderOf(e.Err) != "" || strings.Contains(cause, name) {
		return "tokenplug/transport: no token: " + cause
	}
	return "tokenplug/transport: no token from " + name + ": " + cause
}

// Unwrap returns the source's error.
func (e *TokenError) Unwrap() error { return e.Err }

// Timeout reports whether the source gave up because a deadline passed, so
// that url.Error.Timeout and net.Error checks work as they do for network
// errors.
func (e *TokenError) Timeout() bool {
	var t interface{ Timeout() bool }
	if errors.As(e.Err, &t) && t.Timeout() {
		return true
	}
	return errors.Is(e.Err, context.DeadlineExceeded)
}

// errNoToken is the cause when a source returns neither a token nor an error.
var errNoToken = errors.New("token source returned an empty token")
