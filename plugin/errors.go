package plugin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/internal/redact"
)

// Kind classifies a token error by what a host should do about it. Same as
// tokenplug.Kind.
type Kind = tokenplug.Kind

// The kinds; same as tokenplug.KindTemporary and friends.
const (
	KindTemporary   = tokenplug.KindTemporary   // network trouble, timeouts, 5xx: retry with backoff
	KindPermanent   = tokenplug.KindPermanent   // the upstream rejected the credentials (400/401/403)
	KindRateLimited = tokenplug.KindRateLimited // the upstream said slow down (429)
	KindConfig      = tokenplug.KindConfig      // the settings are invalid or the provider is not configured
)

// Sentinels for errors.Is: errors.Is(err, plugin.ErrPermanent) reports whether
// err was classified permanent, on either side of the plugin boundary. They
// are the same values as tokenplug.ErrTemporary and friends, matched by an
// *Error's kind (and ErrConfig also by setting errors); a provider returns
// Permanent(err) and friends, never the sentinels.
var (
	ErrTemporary   = tokenplug.ErrTemporary   // KindTemporary
	ErrPermanent   = tokenplug.ErrPermanent   // KindPermanent
	ErrRateLimited = tokenplug.ErrRateLimited // KindRateLimited
	ErrConfig      = tokenplug.ErrConfig      // KindConfig, SettingError, SettingErrors
)

// Error is a classified token error; same as tokenplug.Error. It survives
// the trip from plugin to host: the host reconstructs it from the gRPC
// status, with the same Kind, RetryAfter and message (but not Err's type:
// only its text crosses). A provider leaves Provider empty; the host fills
// it in.
type Error = tokenplug.Error

// Permanent marks err as a rejection of the credentials. Same as
// tokenplug.Permanent.
func Permanent(err error) error { return tokenplug.Permanent(err) }

// Temporary marks err as worth retrying with backoff. Same as
// tokenplug.Temporary.
func Temporary(err error) error { return tokenplug.Temporary(err) }

// RateLimited marks err as a 429; after is how long the upstream asked the
// caller to wait (0 if unknown). Same as tokenplug.RateLimited.
func RateLimited(err error, after time.Duration) error { return tokenplug.RateLimited(err, after) }

// KindOf returns the classification of err: the Kind of the first *Error in
// its tree, KindConfig for setting errors, and KindTemporary for anything
// else. Same as tokenplug.KindOf.
func KindOf(err error) Kind { return tokenplug.KindOf(err) }

// RetryAfterOf returns the retry-after carried by err, or 0. Same as
// tokenplug.RetryAfterOf.
func RetryAfterOf(err error) time.Duration { return tokenplug.RetryAfterOf(err) }

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
		return withCause(msg, context.Canceled)
	case codes.DeadlineExceeded:
		return Temporary(withCause(msg, context.DeadlineExceeded))
	default:
		return Temporary(errors.New(msg))
	}
}

// withCause returns an error with text msg that unwraps to cause. It adds
// cause's text only when msg does not already say it, so that a plugin's
// "context deadline exceeded" does not come back as
// "context deadline exceeded: context deadline exceeded".
func withCause(msg string, cause error) error {
	if strings.Contains(msg, cause.Error()) {
		return &causedError{msg: msg, cause: cause}
	}
	return fmt.Errorf("%s: %w", msg, cause)
}

// causedError is a message that already names its cause.
type causedError struct {
	msg   string
	cause error
}

func (e *causedError) Error() string { return e.msg }
func (e *causedError) Unwrap() error { return e.cause }

// scrubStatus is toStatus for an instance's error, with the instance's
// secrets (red) scrubbed from its text and its setting errors' messages.
func scrubStatus(err error, red *redact.Redactor) error {
	if se := settingErrorsOf(err); se != nil {
		return settingsStatus(scrubSettingErrors(se, red))
	}
	if clean := red.String(err.Error()); clean != err.Error() {
		err = &scrubbedError{msg: clean, err: err}
	}
	return toStatus(err)
}

// scrubSettingErrors returns a copy of se with red applied to each message.
func scrubSettingErrors(se SettingErrors, red *redact.Redactor) SettingErrors {
	out := slices.Clone(se)
	for i := range out {
		out[i].Message = red.String(out[i].Message)
	}
	return out
}

// scrubbedError replaces an error's text and keeps its chain, so its
// classification (Kind, retry-after, context errors) still holds.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
