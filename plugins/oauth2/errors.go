package oauth2

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/tokenplug/tokenplug/plugin"
)

// maxDescription bounds the error_description quoted in an error.
const maxDescription = 200

// parseErrorResponse reads RFC 6749 §5.2's error response from a body. ok
// is false when body is not such a response (an HTML error page, say):
// the caller falls back to classifying by status.
func parseErrorResponse(body []byte) (e oauthError, ok bool) {
	var r oauthError
	if err := plugin.DecodeJSON(body, &r); err != nil || r.Code == "" {
		return oauthError{}, false
	}
	return r, true
}

// errorFor classifies a §5.2 error: 429 and slow_down (RFC 8628 §3.5)
// are rate limited, with Retry-After; 5xx, temporarily_unavailable and
// server_error are temporary; every other code (invalid_client,
// invalid_grant, unauthorized_client, invalid_scope,
// unsupported_grant_type, invalid_request, invalid_target) is permanent:
// the same request gets the same answer. The message names the status,
// the code and the description, redacted of secrets, stripped of control
// characters and bounded.
func errorFor(e oauthError, status string, code int, retryAfter time.Duration, secrets []string) error {
	msg := "token endpoint answered " + status + ": " + safeCode(e.Code, secrets)
	if d := describe(e.Description, secrets); d != "" {
		msg += ": " + d
	}
	err := errors.New(msg)
	switch {
	case code == http.StatusTooManyRequests || e.Code == "slow_down":
		return plugin.RateLimited(err, retryAfter)
	case code >= 500 || e.Code == "temporarily_unavailable" || e.Code == "server_error":
		return plugin.Temporary(err)
	default:
		return plugin.Permanent(err)
	}
}

// safeCode returns the error code if it is what §5.2 allows (visible
// ASCII but " and \) and short, and no secret; else a placeholder.
func safeCode(code string, secrets []string) string {
	if plugin.Redact(code, secrets...) != code {
		return "[REDACTED]"
	}
	w := safeWord(code)
	if w == "(unprintable)" {
		return "(an error code that is not RFC 6749 §5.2 text)"
	}
	return w[1 : len(w)-1]
}

// describe returns error_description as one bounded line: secrets
// redacted, control characters (a terminal escape, say) dropped.
func describe(d string, secrets []string) string {
	d = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar:
			return -1
		}
		return r
	}, plugin.Redact(d, secrets...))
	s := plugin.Snippet([]byte(d), secrets...) // redacts again: stripping may join a secret
	if len(s) > maxDescription {
		s = strings.ToValidUTF8(s[:maxDescription], "") + "..."
	}
	return s
}
