package azure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// Azure's documentation says an issueToken token is valid for 10 minutes and
// advises reusing one for nine, then getting a new one ("Authenticate
// requests to Azure AI services", access tokens; Speech REST API, "How to get
// an access token"). lifetime is used only when the token has no exp claim;
// the token's own exp - iat comes first, then its exp.
const (
	lifetime   = 10 * time.Minute
	renewAfter = 9 * time.Minute
)

// keySource hands out the subscription key itself, for the
// Ocp-Apim-Subscription-Key header. It never expires and makes no request.
type keySource struct{ key string }

// Token returns the key as a token sent raw in Ocp-Apim-Subscription-Key.
func (s keySource) Token() (*oauth2.Token, error) {
	return plugin.WithHeader(&oauth2.Token{AccessToken: s.key}, KeyHeader), nil
}

// TokenContext is Token; no request is made, so ctx is not needed.
func (s keySource) TokenContext(context.Context) (*oauth2.Token, error) { return s.Token() }

// tokenSource fetches a new issueToken token on every call. Safe for
// concurrent use: its fields are set once by Configure.
type tokenSource struct {
	client *http.Client // nil: plugin.Do's default client
	url    string
	key    string // secret
	now    func() time.Time
}

// Token fetches a token without a deadline beyond the client's timeout.
func (s *tokenSource) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

// TokenContext fetches a token, bounded by ctx.
func (s *tokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	// http.NoBody makes net/http send "Content-Length: 0", which issueToken
	// requires of a POST without a body.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, http.NoBody)
	if err != nil {
		return nil, fmt.Errorf("tokenplug/azure: build request: %w", err)
	}
	req.Header.Set(KeyHeader, s.key)
	issued := s.now()
	body, _, err := plugin.Do(s.client, req, s.key)
	if err != nil {
		return nil, fmt.Errorf("tokenplug/azure: issueToken: %w", err)
	}
	return parse(bytes.TrimSpace(body), issued)
}

// parse checks the body is a JWT and reads its lifetime. A 200 whose body
// is not a JWT is Temporary: it comes from something between us and Azure (a
// proxy's or captive portal's page, a truncated response), not from Azure
// judging the key, so a later attempt may well succeed. Errors never quote
// the body, which is the token.
func parse(body []byte, issued time.Time) (*oauth2.Token, error) {
	if len(body) == 0 {
		return nil, plugin.Temporary(errors.New("tokenplug/azure: issueToken returned an empty body"))
	}
	tok := string(body)
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &jwt.RegisteredClaims{}); err != nil {
		return nil, plugin.Temporary(errors.New("tokenplug/azure: issueToken response is not a JWT"))
	}
	// exp - iat anchored to our clock: Azure's clock and ours may disagree.
	expiry, ok, err := plugin.JWTTokenExpiry(tok, issued)
	switch {
	case err != nil:
		return nil, fmt.Errorf("tokenplug/azure: issueToken response: %w", err)
	case !ok:
		expiry = issued.Add(lifetime)
	}
	refreshAt := issued.Add(renewAfter)
	if !refreshAt.Before(expiry) {
		// A token shorter-lived than documented: keep the same 9:10 ratio.
		refreshAt = issued.Add(expiry.Sub(issued) * 9 / 10)
	}
	t := &oauth2.Token{AccessToken: tok, TokenType: "Bearer", Expiry: expiry}
	return plugin.WithRefreshAt(t, refreshAt), nil
}
