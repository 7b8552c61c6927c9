package voicegain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// staticSource hands out the console JWT. Safe for concurrent use.
type staticSource struct {
	jwt string
	exp time.Time // zero: never expires
	now func() time.Time
}

// Token returns the console JWT.
func (s *staticSource) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

// TokenContext returns the console JWT, or a permanent error once its exp
// has passed: sending it would only earn a 401.
func (s *staticSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !s.exp.IsZero() && !s.now().Before(s.exp) {
		return nil, plugin.Permanent(fmt.Errorf("tokenplug/voicegain: the console jwt expired at %s; generate a new one in the Voicegain console",
			s.exp.UTC().Format(time.RFC3339)))
	}
	return &oauth2.Token{AccessToken: s.jwt, TokenType: "Bearer", Expiry: s.exp}, nil
}

// shortLivedSource fetches a new short-lived JWT on every call; the host
// caches it. Safe for concurrent use.
type shortLivedSource struct {
	client   *http.Client
	console  string // the console JWT: secret
	endpoint string // <api_url>/security/jwt?aud=..&expInSec=..
	lifetime time.Duration
	now      func() time.Time
}

// Token fetches a short-lived JWT.
func (s *shortLivedSource) Token() (*oauth2.Token, error) {
	return s.TokenContext(context.Background())
}

// TokenContext fetches a short-lived JWT; ctx bounds the request.
func (s *shortLivedSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.endpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("tokenplug/voicegain: build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+s.console)
	// Voicegain answers the JWT as text/plain (voicegain/python-sdk
	// security_api.py); ask for what it sends.
	req.Header.Set("Accept", "text/plain")
	start := s.now()
	body, resp, err := plugin.Do(s.client, req, s.console)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return nil, fmt.Errorf("tokenplug/voicegain: the console jwt was rejected (deleted or regenerated in the Voicegain console, or wrong): %w", err)
		}
		return nil, fmt.Errorf("tokenplug/voicegain: get short-lived jwt: %w", err)
	}
	tok, err := parseJWTResponse(body, resp.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	exp, err := shortLivedExpiry(tok, start, s.lifetime)
	if err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: tok, TokenType: "Bearer", Expiry: exp}, nil
}

// shortLivedExpiry anchors the JWT's exp - iat (else its exp, else the
// lifetime asked for) to start, the local time before the request: the token
// never outlives what we believe, whatever Voicegain's clock says.
func shortLivedExpiry(tok string, start time.Time, lifetime time.Duration) (time.Time, error) {
	exp, ok, err := plugin.JWTTokenExpiry(tok, start)
	switch {
	case err != nil:
		return time.Time{}, fmt.Errorf("tokenplug/voicegain: short-lived jwt: %w", err)
	case !ok:
		return start.Add(lifetime), nil
	}
	return exp, nil
}

// parseJWTResponse extracts the JWT from a /security/jwt response body: a
// JSON string, a JSON object with a jwt, token or access_token field, or the
// bare JWT as text. The package doc says why the body's shape decides.
// Errors never contain the body, which may hold a token: DecodeJSON reports
// positions and kinds, never values.
func parseJWTResponse(body []byte, contentType string) (string, error) {
	b := bytes.TrimSpace(body)
	var tok string
	var err error
	switch {
	case len(b) == 0:
		err = errors.New("empty body")
	case b[0] == '"':
		err = plugin.DecodeJSON(b, &tok)
	case b[0] == '{':
		var obj struct {
			JWT         string `json:"jwt"`
			Token       string `json:"token"`
			AccessToken string `json:"access_token"`
		}
		if err = plugin.DecodeJSON(b, &obj); err == nil {
			tok = firstNonEmpty(obj.JWT, obj.Token, obj.AccessToken)
		}
	default:
		tok = string(b)
	}
	tok = strings.TrimSpace(tok)
	if err == nil && !isJWT(tok) {
		err = errors.New("no JWT in it")
	}
	if err != nil {
		// Not the credentials' fault: a broken upstream or proxy. Retry.
		return "", plugin.Temporary(fmt.Errorf("tokenplug/voicegain: unreadable short-lived jwt response (Content-Type %q, %d bytes): %s",
			cutContentType(contentType), len(body), err))
	}
	return tok, nil
}

// contentTypeLen bounds the Content-Type an error quotes: it is the
// upstream's text, and quoting can quadruple it (each invalid byte becomes
// \xNN), which once pushed an error past plugin errors' 1 KiB.
const contentTypeLen = 64

// cutContentType cuts ct to contentTypeLen bytes before it is quoted.
func cutContentType(ct string) string {
	if len(ct) <= contentTypeLen {
		return ct
	}
	return ct[:contentTypeLen] + "..."
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
