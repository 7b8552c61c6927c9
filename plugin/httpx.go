package plugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokenplug/tokenplug/internal/redact"
)

// MaxBodySize bounds every response body read by Do: token responses are a
// few kilobytes, and a vendor that sends megabytes is broken or hostile.
const MaxBodySize = 1 << 20

// snippetSize bounds how much of an error body goes into an error message.
const snippetSize = 256

// Do sends req with client and returns the body of a 2xx response, read up
// to MaxBodySize. The returned response's body is already closed.
//
// Failures are classified for the host: a transport error or timeout is
// Temporary; a non-2xx status is classified by CheckStatus. Any of secrets
// found in the upstream's error body is redacted before it reaches the
// message.
func Do(client *http.Client, req *http.Request, secrets ...string) ([]byte, *http.Response, error) {
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error carries the URL, which never holds a secret in our
		// providers; the cause may be a timeout or a refused connection.
		return nil, nil, Temporary(err)
	}
	defer resp.Body.Close()
	body, err := ReadBody(resp.Body, MaxBodySize)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, resp, CheckStatus(resp, body, secrets...)
	}
	if err != nil {
		return nil, resp, err
	}
	return body, resp, nil
}

// ReadBody reads r up to limit bytes. A longer body is a Temporary error
// (it is discarded, not buffered).
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, Temporary(fmt.Errorf("read response: %w", err))
	}
	if int64(len(b)) > limit {
		return nil, Temporary(fmt.Errorf("response body exceeds %d bytes", limit))
	}
	return b, nil
}

// CheckStatus classifies a non-2xx response: 400, 401 and 403 are Permanent
// (the credentials were rejected); 429 is RateLimited with the Retry-After
// header honoured; 408 and 5xx are Temporary; anything else is Permanent.
// body may be nil; a short, redacted snippet of it goes in the message.
func CheckStatus(resp *http.Response, body []byte, secrets ...string) error {
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	msg := "upstream returned " + resp.Status
	if s := Snippet(body, secrets...); s != "" {
		msg += ": " + s
	}
	err := errors.New(msg)
	switch c := resp.StatusCode; {
	case c == http.StatusTooManyRequests:
		return RateLimited(err, ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()))
	case c == http.StatusRequestTimeout || c >= 500:
		return Temporary(err)
	default:
		return Permanent(err)
	}
}

// Snippet returns at most a couple of hundred bytes of body as one line of
// valid UTF-8, with every secret replaced by "[REDACTED]".
func Snippet(body []byte, secrets ...string) string {
	// Invalid UTF-8 would not survive the gRPC status message (and would
	// take the status details, such as a 429's retry-after, with it).
	s := strings.ToValidUTF8(Redact(string(body), secrets...), "\uFFFD")
	if len(s) > snippetSize {
		s = s[:snippetSize]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "..."
	}
	return strings.Join(strings.Fields(s), " ")
}

// Redact replaces every occurrence of each non-empty secret in s with
// "[REDACTED]": the secret itself and, for secrets of six bytes or more,
// its standard encodings (base64 and base64url, padded or raw, at any
// alignment, so the "id:secret" pair of an echoed Basic authorization
// header is caught; URL and JSON escaping) and every line of a multi-line
// secret such as a PEM key.
func Redact(s string, secrets ...string) string {
	return redact.String(s, secrets...)
}

// ParseRetryAfter reads a Retry-After header (seconds or an HTTP date).
// It returns 0 when the header is absent or unreadable.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// JWTExpiry returns the exp claim of a JWT without verifying its signature
// (the provider received it from the issuer over TLS; verifying it is the
// resource server's job). ok is false when token is not a JWT or has no exp.
func JWTExpiry(token string) (exp time.Time, ok bool) {
	claims := jwt.RegisteredClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, &claims); err != nil || claims.ExpiresAt == nil {
		return time.Time{}, false
	}
	return claims.ExpiresAt.Time, true
}

// DecodeJSON unmarshals a 2xx response body into v. A body that is empty or
// not the expected JSON is Temporary: it comes from something between the
// provider and its upstream (a proxy's error page, a truncated response),
// not from the upstream judging the credentials, so a later attempt may
// succeed. The error names the problem's position or field but never quotes
// the body, which may hold a token.
func DecodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return Temporary(errors.New("response body is empty, want JSON"))
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn) && syn.Offset >= int64(len(body)):
		return Temporary(fmt.Errorf("response JSON is truncated (%d bytes)", len(body)))
	case errors.As(err, &syn):
		return Temporary(fmt.Errorf("response is not JSON: invalid syntax at byte %d of %d", syn.Offset, len(body)))
	case errors.As(err, &typ):
		// typ.Value may hold the offending number; keep only its kind.
		kind, _, _ := strings.Cut(typ.Value, " ")
		return Temporary(fmt.Errorf("response JSON has a %s where %s was expected (field %q)", kind, typ.Type, typ.Field))
	default:
		// Errors from a custom UnmarshalJSON: the provider's own text.
		return Temporary(fmt.Errorf("response JSON: %w", err))
	}
}
