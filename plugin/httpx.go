package plugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tokenplug/tokenplug/internal/printable"
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
// A nil client means NewHTTPClient(DefaultTimeout). Whatever the client, Do
// follows redirects only within the request's origin (see
// SameOriginRedirect): a redirect to another scheme, host or port is a
// Permanent error matching ErrCrossOriginRedirect, and the request's
// credentials never reach the other origin.
//
// Failures are classified for the host: a transport error or timeout is
// Temporary; a non-2xx status is classified by CheckStatus. Any of secrets
// found in the upstream's error body is redacted before it reaches the
// message. A 2xx body is returned, never quoted: it may hold a token, so
// parse it with DecodeJSON or report only what was wrong with it.
func Do(client *http.Client, req *http.Request, secrets ...string) ([]byte, *http.Response, error) {
	resp, err := withSameOrigin(client).Do(req)
	if err != nil {
		return nil, nil, classifyDoError(err)
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

// classifyDoError classifies an error from http.Client.Do. A refused
// redirect is Permanent (the endpoint moved to where credentials may not
// follow; retrying cannot help) and loses the *url.Error around it, whose URL
// is the upstream's Location. Anything else, a timeout or a refused
// connection, is Temporary; its *url.Error names the request URL, which
// carries no secret (secrets go in headers and bodies).
func classifyDoError(err error) error {
	if errors.Is(err, ErrCrossOriginRedirect) {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Permanent(err)
	}
	return Temporary(err)
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
	// The reason phrase is the upstream's text, passed through by Go's
	// client as it came: control characters, invalid UTF-8, any length.
	msg := "upstream returned " + oneLine(resp.Status, statusSize)
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
// valid UTF-8, with every secret replaced by "[REDACTED]" and every
// control character escaped ("\x1b"): an upstream's terminal escape
// sequences never reach a terminal that shows the error.
func Snippet(body []byte, secrets ...string) string {
	// Invalid UTF-8 would not survive the gRPC status message (and would
	// take the status details, such as a 429's retry-after, with it).
	return oneLine(Redact(string(body), secrets...), snippetSize)
}

// statusSize bounds the status line quoted from an upstream.
const statusSize = 64

// oneLine returns s, which an upstream wrote, as one line of valid UTF-8
// of at most max bytes (and "..."): runs of white space become one space
// and control characters (a terminal escape, a carriage return) are
// escaped before the cut, so escaping never grows it past max.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
	s = printable.String(s)
	if len(s) > max {
		s = s[:max]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "..."
	}
	return s
}

// Redact replaces every occurrence of each non-empty secret in s with
// "[REDACTED]": the secret itself and its standard encodings (base64 and
// base64url, padded or raw, at any alignment, so the "id:secret" pair of
// an echoed Basic authorization header is caught; hex; percent-encoding of
// either case; any encoder's JSON escapes) and every line of a multi-line
// secret such as a PEM key. A secret shorter than six bytes is replaced
// only where it stands as a whole word, and its encodings not at all: a
// one-letter key must not blank every such letter of a message.
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

// DecodeJSON unmarshals a 2xx response body into v. A body that is empty or
// not the expected JSON is Temporary: it comes from something between the
// provider and its upstream (a proxy's error page, a truncated response),
// not from the upstream judging the credentials, so a later attempt may
// succeed. The error names the problem's position, field and JSON kind but
// never quotes the body, which may hold a token: it is safe to return,
// wrap and log. Decode a 2xx token response with DecodeJSON rather than
// json.Unmarshal, whose errors may quote values.
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
		// A custom UnmarshalJSON (time.Time's among them) or a ",string"
		// tag may quote the value it choked on: keep only the error's type.
		return Temporary(fmt.Errorf("response JSON could not be decoded into %T", v))
	}
}
