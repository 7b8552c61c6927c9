package tokenplug

import (
	"errors"
	"strconv"
	"time"
)

// Kind classifies a token error by what a caller should do about it.
type Kind int

const (
	// KindTemporary: network trouble, timeouts, 5xx. Retry with backoff.
	KindTemporary Kind = iota
	// KindPermanent: the upstream rejected the credentials (400/401/403).
	// Retrying will not help until the configuration changes.
	KindPermanent
	// KindRateLimited: the upstream said slow down (429). Retry after
	// RetryAfter.
	KindRateLimited
	// KindConfig: the settings are invalid or the provider is not configured.
	KindConfig
)

// String returns the kind in words, as error messages and logs show it.
func (k Kind) String() string {
	switch k {
	case KindPermanent:
		return "permanent"
	case KindRateLimited:
		return "rate limited"
	case KindConfig:
		return "configuration"
	default:
		return "temporary"
	}
}

// Sentinels for errors.Is: errors.Is(err, ErrPermanent) reports whether err
// was classified permanent, on either side of the plugin boundary. They are
// matched by an *Error's kind (ErrConfig also by the plugin SDK's setting
// errors); code returns Permanent(err) and friends, never the sentinels.
var (
	ErrTemporary   = errors.New("temporary")     // KindTemporary
	ErrPermanent   = errors.New("permanent")     // KindPermanent
	ErrRateLimited = errors.New("rate limited")  // KindRateLimited
	ErrConfig      = errors.New("configuration") // KindConfig
)

// Error is a classified token error. A provider returns one without a
// Provider (through Permanent and friends); the host reconstructs it on its
// side of the plugin boundary with the same Kind, RetryAfter and message
// (but not Err's type: only its text crosses) and wraps it in one that names
// the provider. A wrapper that finds an *Error with a Provider in its cause
// does not name the provider again.
//
// An *Error is immutable once returned and safe to share between goroutines.
// Its message never holds a secret: that is the cause's duty.
type Error struct {
	Kind       Kind
	RetryAfter time.Duration // for KindRateLimited; 0 if the upstream gave none
	Provider   string        // the registered provider name; "" inside a plugin
	Err        error         // the cause
}

// Error returns the cause's text. With a Provider it is prefixed with the
// provider and the kind, once: `tokenplug: provider "x": permanent error: …`.
func (e *Error) Error() string {
	if e.Provider == "" {
		return e.Err.Error()
	}
	return "tokenplug: provider " + strconv.Quote(e.Provider) + ": " + e.Kind.String() + " error: " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's kind.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrTemporary:
		return e.Kind == KindTemporary
	case ErrPermanent:
		return e.Kind == KindPermanent
	case ErrRateLimited:
		return e.Kind == KindRateLimited
	case ErrConfig:
		return e.Kind == KindConfig
	}
	return false
}

// Permanent marks err as a rejection of the credentials.
func Permanent(err error) error { return &Error{Kind: KindPermanent, Err: err} }

// Temporary marks err as worth retrying with backoff.
func Temporary(err error) error { return &Error{Kind: KindTemporary, Err: err} }

// RateLimited marks err as a 429; after is how long the upstream asked the
// caller to wait (0 if unknown).
func RateLimited(err error, after time.Duration) error {
	return &Error{Kind: KindRateLimited, RetryAfter: after, Err: err}
}

// KindOf returns the classification of err: the Kind of the first *Error in
// its tree, KindConfig for other errors that match ErrConfig (the SDK's
// setting errors), and KindTemporary for anything else (an unclassified
// error is assumed worth a retry).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if err != nil && errors.Is(err, ErrConfig) {
		return KindConfig
	}
	return KindTemporary
}

// RetryAfterOf returns the retry-after carried by err, or 0.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// ProviderOf returns the provider named by the first *Error in err's tree
// that names one, or "". A wrapper that adds the provider's name to a
// message checks it first, so that each message names the provider once.
func ProviderOf(err error) string {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return ""
		}
		if e.Provider != "" {
			return e.Provider
		}
		err = e.Err
	}
	return ""
}
