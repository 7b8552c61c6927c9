package plugin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Kind classifies a token error by what a host should do about it.
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

// Sentinels for errors.Is: errors.Is(err, plugin.ErrPermanent) reports whether
// err was classified permanent, on either side of the plugin boundary. They
// are matched by an *Error's kind (and ErrConfig also by setting errors); a
// provider returns Permanent(err) and friends, never the sentinels.
var (
	ErrTemporary   = errors.New("temporary")     // KindTemporary
	ErrPermanent   = errors.New("permanent")     // KindPermanent
	ErrRateLimited = errors.New("rate limited")  // KindRateLimited
	ErrConfig      = errors.New("configuration") // KindConfig, SettingError, SettingErrors
)

// Error is a classified token error. It survives the trip from plugin to
// host: the host reconstructs it from the gRPC status, with the same Kind,
// RetryAfter and message (but not Err's type: only its text crosses).
type Error struct {
	Kind       Kind
	RetryAfter time.Duration // for KindRateLimited; 0 if the upstream gave none
	Err        error         // the cause; its text is the error's text
}

// Error returns the cause's text, unchanged: the kind is for code to branch
// on, not for the message.
func (e *Error) Error() string { return e.Err.Error() }

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
// its tree, KindConfig for setting errors, and KindTemporary for anything
// else (an unclassified error is assumed worth a retry).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if settingErrorsOf(err) != nil {
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

// toStatus converts a provider error to the gRPC status the contract
// promises. The message is the error's text; providers must keep secrets out
// of it.
func toStatus(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	}
	if se := settingErrorsOf(err); se != nil {
		return settingsStatus(se)
	}
	switch KindOf(err) {
	case KindPermanent:
		return status.Error(codes.Unauthenticated, err.Error())
	case KindConfig:
		return status.Error(codes.InvalidArgument, err.Error())
	case KindRateLimited:
		st := status.New(codes.ResourceExhausted, err.Error())
		if d := RetryAfterOf(err); d > 0 {
			if withInfo, e := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(d)}); e == nil {
				st = withInfo
			}
		}
		return st.Err()
	default:
		return status.Error(codes.Unavailable, err.Error())
	}
}

func settingsStatus(se SettingErrors) error {
	st := status.New(codes.InvalidArgument, se.Error())
	br := &errdetails.BadRequest{}
	for _, e := range se {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: e.Key, Description: e.Message})
	}
	if withBR, err := st.WithDetails(br); err == nil {
		st = withBR
	}
	return st.Err()
}

// fromStatus turns a status from the plugin back into a classified error.
// Errors that are not statuses (a broken connection, a local deadline) are
// returned as they are, marked temporary.
func fromStatus(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return Temporary(err)
	}
	msg := st.Message()
	switch st.Code() {
	case codes.InvalidArgument, codes.FailedPrecondition:
		var se SettingErrors
		for _, d := range st.Details() {
			if br, ok := d.(*errdetails.BadRequest); ok {
				for _, v := range br.FieldViolations {
					se = append(se, SettingError{Key: v.Field, Message: v.Description})
				}
			}
		}
		if len(se) > 0 {
			return se
		}
		return &Error{Kind: KindConfig, Err: errors.New(msg)}
	case codes.Unauthenticated, codes.PermissionDenied:
		return Permanent(errors.New(msg))
	case codes.ResourceExhausted:
		var after time.Duration
		for _, d := range st.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok {
				after = ri.RetryDelay.AsDuration()
			}
		}
		return RateLimited(errors.New(msg), after)
	case codes.Canceled:
		return fmt.Errorf("%s: %w", msg, context.Canceled)
	case codes.DeadlineExceeded:
		return Temporary(fmt.Errorf("%s: %w", msg, context.DeadlineExceeded))
	default:
		return Temporary(errors.New(msg))
	}
}
