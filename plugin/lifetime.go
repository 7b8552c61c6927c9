package plugin

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MaxTokenLifetime is the longest lifetime ExpiryAfter and friends accept.
// No vendor we know issues access tokens for more than a day; a year leaves
// room for long-lived keys while catching garbage (an overflowed expires_in,
// a JWT exp in the year 3000) before it becomes "never expires".
const MaxTokenLifetime = 365 * 24 * time.Hour

// ErrBadLifetime is matched (errors.Is) by the errors of ExpiryAfter,
// ExpiryAfterSeconds and CheckExpiry.
var ErrBadLifetime = errors.New("token lifetime out of range")

// ExpiryAfter returns received + lifetime: the expiry of a token the vendor
// says is valid for lifetime, anchored to the local clock at receipt.
// Prefer it to a vendor's absolute expiry time, which is only as good as the
// agreement between the vendor's clock and ours: with the host clock two
// hours ahead, every absolute expiry looks past.
//
// A lifetime that is zero, negative or over MaxTokenLifetime is a Temporary
// error (the vendor, or something in front of it, answered nonsense; a later
// answer may be sane) matching ErrBadLifetime. The message does not quote
// the value.
func ExpiryAfter(received time.Time, lifetime time.Duration) (time.Time, error) {
	switch {
	case lifetime <= 0:
		return time.Time{}, Temporary(fmt.Errorf("tokenplug/plugin: token lifetime is zero or negative: %w", ErrBadLifetime))
	case lifetime > MaxTokenLifetime:
		return time.Time{}, Temporary(fmt.Errorf("tokenplug/plugin: token lifetime is over the maximum of %s: %w", MaxTokenLifetime, ErrBadLifetime))
	}
	return received.Add(lifetime), nil
}

// ExpiryAfterSeconds is ExpiryAfter for a lifetime in whole seconds, as
// OAuth's expires_in gives it. It checks the range before converting, so a
// huge value cannot overflow into a past (or "never") expiry.
func ExpiryAfterSeconds(received time.Time, seconds int64) (time.Time, error) {
	if seconds > int64(MaxTokenLifetime/time.Second) {
		return ExpiryAfter(received, MaxTokenLifetime+1)
	}
	return ExpiryAfter(received, time.Duration(seconds)*time.Second)
}

// CheckExpiry validates an absolute expiry a vendor sent (IAM's expiration,
// a JWT's exp) for use when it sent no relative lifetime. An expiry before
// 1970 or more than MaxTokenLifetime after now is a Temporary error matching
// ErrBadLifetime. An expiry in the past is returned as is: the host reports
// a token expired on arrival, and with it the likely clock skew.
func CheckExpiry(now, exp time.Time) (time.Time, error) {
	switch {
	case exp.UnixMilli() <= 0:
		return time.Time{}, Temporary(fmt.Errorf("tokenplug/plugin: token expiry is before 1970: %w", ErrBadLifetime))
	case exp.Sub(now) > MaxTokenLifetime:
		return time.Time{}, Temporary(fmt.Errorf("tokenplug/plugin: token expiry is more than %s away: %w", MaxTokenLifetime, ErrBadLifetime))
	}
	return exp, nil
}

// JWTExpiry returns the exp claim of a JWT without verifying its signature
// (the provider received it from the issuer over TLS; verifying it is the
// resource server's job). ok is false when token is not a JWT or has no exp.
// exp is the issuer's clock: prefer JWTLifetime.
func JWTExpiry(token string) (exp time.Time, ok bool) {
	claims, ok := jwtClaims(token)
	if !ok || claims.ExpiresAt == nil {
		return time.Time{}, false
	}
	return claims.ExpiresAt.Time, true
}

// JWTLifetime returns exp - iat of a JWT, read without verifying its
// signature: the lifetime the issuer gave the token, which does not depend
// on the issuer's clock agreeing with ours. Pass it to ExpiryAfter with the
// time the token was received. ok is false when token is not a JWT or lacks
// exp or iat; the lifetime may be zero or negative (ExpiryAfter rejects it).
func JWTLifetime(token string) (lifetime time.Duration, ok bool) {
	claims, ok := jwtClaims(token)
	if !ok || claims.ExpiresAt == nil || claims.IssuedAt == nil {
		return 0, false
	}
	return claims.ExpiresAt.Sub(claims.IssuedAt.Time), true
}

// JWTTokenExpiry returns the expiry of a JWT received at received: received
// plus JWTLifetime when the token has exp and iat, else its exp checked by
// CheckExpiry. ok is false when the token has no exp (the caller falls back
// to the vendor's documented lifetime); err reports a nonsensical lifetime.
func JWTTokenExpiry(token string, received time.Time) (exp time.Time, ok bool, err error) {
	if d, ok := JWTLifetime(token); ok {
		exp, err := ExpiryAfter(received, d)
		return exp, true, err
	}
	if abs, ok := JWTExpiry(token); ok {
		exp, err := CheckExpiry(received, abs)
		return exp, true, err
	}
	return time.Time{}, false, nil
}

func jwtClaims(token string) (*jwt.RegisteredClaims, bool) {
	claims := &jwt.RegisteredClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return nil, false
	}
	return claims, true
}
