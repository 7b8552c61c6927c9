package oauth2

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// tokenResponse is RFC 6749 §5.1's successful response (with RFC 8693
// §2.2.1's issued_token_type), and the §5.2 fields some servers send
// with a 200.
type tokenResponse struct {
	AccessToken     string          `json:"access_token"`
	TokenType       string          `json:"token_type"`
	ExpiresIn       json.RawMessage `json:"expires_in"`
	RefreshToken    string          `json:"refresh_token"`
	IssuedTokenType string          `json:"issued_token_type"`
	oauthError
}

// oauthError is RFC 6749 §5.2's error response.
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

// parseTokenResponse reads a 2xx token response received at received.
// Its errors never quote the body, which holds tokens. A body that is not
// JSON is Temporary (a proxy's page, a truncated answer); a JSON answer
// without an access token, or of a token type other than Bearer, is
// Permanent: asking again brings the same answer. The token's
// RefreshToken is the rotated refresh token the server issued, if any.
// secrets are redacted from a §5.2 error some servers answer with a 200.
//
// An answer refused after it carried a new refresh token still spent the
// old one: the error is a *rotatedError holding the new one, so that the
// caller keeps it (a server with reuse detection would revoke the family
// if the spent one were sent again).
func parseTokenResponse(body []byte, received time.Time, fallback time.Duration, secrets []string) (*oauth2.Token, error) {
	var r tokenResponse
	if err := plugin.DecodeJSON(body, &r); err != nil {
		return nil, err
	}
	tok, err := tokenOf(r, received, fallback, secrets)
	if err != nil && r.RefreshToken != "" {
		return nil, &rotatedError{err: err, refreshToken: r.RefreshToken}
	}
	return tok, err
}

// rotatedError is a refused token answer that nonetheless rotated the
// refresh token. Its text is its cause's: the refresh token is never in it.
type rotatedError struct {
	err          error
	refreshToken string
}

func (e *rotatedError) Error() string { return e.err.Error() }
func (e *rotatedError) Unwrap() error { return e.err }

// rotatedBy returns the refresh token a refused answer rotated to, or "".
func rotatedBy(err error) string {
	var re *rotatedError
	if errors.As(err, &re) {
		return re.refreshToken
	}
	return ""
}

// tokenOf checks a decoded 2xx answer and makes its token.
func tokenOf(r tokenResponse, received time.Time, fallback time.Duration, secrets []string) (*oauth2.Token, error) {
	if r.AccessToken == "" {
		if r.Code != "" {
			return nil, errorFor(r.oauthError, 200, 0, secrets)
		}
		return nil, plugin.Permanent(errors.New("the answer has no access_token"))
	}
	if !headerSafe(r.AccessToken) {
		return nil, plugin.Temporary(errors.New("access_token holds characters an HTTP header cannot carry"))
	}
	// RFC 6749 §7.1: a client must not use a token type it does not
	// understand. RFC 8693 §2.2.1's N_A is not an access token; DPoP
	// (RFC 9449) needs a proof per request. An absent token_type is taken
	// as Bearer, as x/oauth2 does.
	if r.TokenType != "" && !strings.EqualFold(r.TokenType, "bearer") {
		return nil, plugin.Permanent(fmt.Errorf("token_type %s is not Bearer; only Bearer tokens can be sent (RFC 6750)", safeWord(r.TokenType)))
	}
	exp, err := expiry(r, received, fallback)
	if err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: r.AccessToken, TokenType: "Bearer", Expiry: exp, RefreshToken: r.RefreshToken}, nil
}

// expiry anchors the token's lifetime to the local clock at receipt: from
// expires_in, else the JWT's exp - iat (or exp), else fallback.
func expiry(r tokenResponse, received time.Time, fallback time.Duration) (time.Time, error) {
	if n, ok, err := seconds(r.ExpiresIn); err != nil || ok {
		if err != nil {
			return time.Time{}, err
		}
		return plugin.ExpiryAfterSeconds(received, n)
	}
	if exp, ok, err := plugin.JWTTokenExpiry(r.AccessToken, received); ok {
		return exp, err
	}
	return received.Add(fallback), nil
}

// seconds reads expires_in: a JSON number, or a string of digits, as
// Azure AD's v1 endpoint and some older servers send it. null is absent.
func seconds(raw json.RawMessage) (n int64, ok bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	s := string(raw)
	if unq, err := strconv.Unquote(s); err == nil && raw[0] == '"' {
		s = strings.TrimSpace(unq)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) {
		return int64(math.Max(math.Min(f, math.MaxInt64/2), math.MinInt64/2)), true, nil
	}
	return 0, false, plugin.Temporary(errors.New("expires_in is not a number of seconds"))
}

// headerSafe reports whether tok can travel in an Authorization header:
// visible ASCII only (RFC 6750 §2.1's b64token is stricter still).
func headerSafe(tok string) bool {
	for i := 0; i < len(tok); i++ {
		if tok[i] <= ' ' || tok[i] > '~' {
			return false
		}
	}
	return true
}

// safeWord returns s quoted when it is a short word of visible ASCII (a
// token type, an error code), else a neutral placeholder: a server's
// answer must not smuggle text into our messages.
func safeWord(s string) string {
	if s == "" || len(s) > 64 || !headerSafe(s) || strings.ContainsAny(s, `"\`) {
		return "(unprintable)"
	}
	return strconv.Quote(s)
}
