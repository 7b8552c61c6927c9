package host

import (
	"errors"
	"fmt"

	"github.com/tokenplug/tokenplug/plugin"
)

// ErrUnknownProvider is returned by Registry.Source for a name that was
// never registered.
var ErrUnknownProvider = errors.New("tokenplug: unknown provider")

// ErrClosed is returned by a Source whose Registry has been closed.
var ErrClosed = errors.New("tokenplug: registry closed")

// Error is what a Source returns when it has no valid token to give. It
// names the provider and the class of failure; the cause stays reachable,
// so errors.Is(err, plugin.ErrPermanent) and the like work. The message
// never holds a secret setting value.
type Error struct {
	Provider string      // the registered provider name
	Kind     plugin.Kind // what kind of failure: temporary, permanent, ...
	Err      error
}

func (e *Error) Error() string {
	return fmt.Sprintf("tokenplug: provider %q: %s error: %v", e.Provider, e.Kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the plugin sentinel of e's kind
// (plugin.ErrPermanent, plugin.ErrTemporary, ...).
func (e *Error) Is(target error) bool { return (&plugin.Error{Kind: e.Kind}).Is(target) }

func wrapErr(provider string, err error) error {
	var he *Error
	if err == nil || errors.As(err, &he) {
		return err
	}
	return &Error{Provider: provider, Kind: plugin.KindOf(err), Err: err}
}
