package host

import (
	"errors"

	"github.com/tokenplug/tokenplug"
)

// ErrUnknownProvider is returned by Registry.Source for a name that was
// never registered.
var ErrUnknownProvider = errors.New("tokenplug: unknown provider")

// ErrClosed is returned by a Source whose Registry has been closed.
var ErrClosed = errors.New("tokenplug: registry closed")

// ErrRemoved is returned, as a permanent error, by a Source whose provider
// was removed from its Registry (Registry.Remove).
var ErrRemoved = errors.New("tokenplug: provider removed")

// Error is what a Source returns when it has no valid token to give; same
// as tokenplug.Error, with Provider set to the registered provider name. Its
// message names the provider and the class of failure once; the cause stays
// reachable, so errors.Is(err, tokenplug.ErrPermanent) and the like work,
// and RetryAfter carries the cause's. The message never holds a secret
// setting value.
type Error = tokenplug.Error

// wrapErr names provider in err, unless err already names a provider.
func wrapErr(provider string, err error) error {
	if err == nil || tokenplug.ProviderOf(err) != "" {
		return err
	}
	return &Error{Provider: provider, Kind: tokenplug.KindOf(err), RetryAfter: tokenplug.RetryAfterOf(err), Err: err}
}
