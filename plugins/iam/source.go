package iam

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// IBM's grant and response type for trading an API key for a token.
const (
	grantType    = "urn:ibm:params:oauth:grant-type:apikey"
	responseType = "cloud_iam"
)

// fallbackLifetime is IAM's documented token lifetime, used only when a
// response carries neither expires_in, expiration nor a JWT exp.
const fallbackLifetime = time.Hour

// tokenSource fetches a new IAM token on every call. Safe for concurrent use:
// its fields are set once by Configure.
type tokenSource struct {
	client       *http.Client
	url          string
	apikey       string // secret
	clientID     string
	clientSecret string // secret
	scope        string // empty: not sent
	now          func() time.Time
}

// tokenResponse is the part of IAM's JSON answer tokenplug uses.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   *int64 `json:"expires_in"` // seconds; preferred: no clock skew
	Expiration  *int64 `json:"expiration"` // unix seconds, IAM's clock
}

// Token fetches a token without a deadline beyond the client's timeout.
func (s *tokenSource) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

// TokenContext fetches a token, bounded by ctx.
func (s *tokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	form := url.Values{"grant_type": {grantType}, "apikey": {s.apikey}, "response_type": {responseType}}
	if s.scope != "" {
		form.Set("scope", s.scope) // as IBM/go-sdk-core's IamAuthenticator sends Scope
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("tokenplug/iam: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if s.clientID != "" {
		req.SetBasicAuth(s.clientID, s.clientSecret)
	}
	received := s.now()
	body, _, err := plugin.Do(s.client, req, s.apikey, s.clientSecret)
	if err != nil {
		return nil, fmt.Errorf("tokenplug/iam: token request: %w", err)
	}
	return parse(body, received)
}

// parse reads IAM's JSON answer. A 200 that is not IAM's JSON, or has no
// access_token, is Temporary: it comes from something between us and IAM (a
// proxy's or load balancer's error page, a truncated response), not from IAM
// judging the API key, so a later attempt may well succeed.
//
// Errors never quote the body, which holds the access token.
func parse(body []byte, received time.Time) (*oauth2.Token, error) {
	var r tokenResponse
	if err := plugin.DecodeJSON(body, &r); err != nil {
		return nil, fmt.Errorf("tokenplug/iam: token response: %w", err)
	}
	if r.AccessToken == "" {
		return nil, plugin.Temporary(errors.New("tokenplug/iam: token response has no access_token"))
	}
	typ := r.TokenType
	if typ == "" {
		typ = "Bearer"
	}
	exp, err := expiry(r, received)
	if err != nil {
		return nil, fmt.Errorf("tokenplug/iam: token response: %w", err)
	}
	return &oauth2.Token{AccessToken: r.AccessToken, TokenType: typ, Expiry: exp}, nil
}

// expiry anchors the token's lifetime to the local clock at receipt, so a
// host whose clock disagrees with IAM's still sees the hour IAM granted. It
// prefers expires_in, then the JWT's exp - iat, then IAM's absolute
// expiration and the JWT's exp (IAM's clock), then IAM's documented hour.
func expiry(r tokenResponse, received time.Time) (time.Time, error) {
	if r.ExpiresIn != nil {
		return plugin.ExpiryAfterSeconds(received, *r.ExpiresIn)
	}
	if d, ok := plugin.JWTLifetime(r.AccessToken); ok {
		return plugin.ExpiryAfter(received, d)
	}
	if r.Expiration != nil {
		return plugin.CheckExpiry(received, time.Unix(*r.Expiration, 0))
	}
	if exp, ok := plugin.JWTExpiry(r.AccessToken); ok {
		return plugin.CheckExpiry(received, exp)
	}
	return received.Add(fallbackLifetime), nil
}
