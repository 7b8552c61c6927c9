package iam

import (
	"context"
	"encoding/json"
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
// response carries neither expiration, expires_in nor a JWT exp.
const fallbackLifetime = time.Hour

// tokenSource fetches a new IAM token on every call. Safe for concurrent use:
// its fields are set once by Configure.
type tokenSource struct {
	client       *http.Client
	url          string
	apikey       string // secret
	clientID     string
	clientSecret string // secret
	now          func() time.Time
}

// tokenResponse is the part of IAM's JSON answer tokenplug uses.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"` // seconds
	Expiration  int64  `json:"expiration"` // unix seconds
}

// Token fetches a token without a deadline beyond the client's timeout.
func (s *tokenSource) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

// TokenContext fetches a token, bounded by ctx.
func (s *tokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	form := url.Values{"grant_type": {grantType}, "apikey": {s.apikey}, "response_type": {responseType}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("tokenplug/iam: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if s.clientID != "" {
		req.SetBasicAuth(s.clientID, s.clientSecret)
	}
	body, _, err := plugin.Do(s.client, req, s.apikey, s.clientSecret)
	if err != nil {
		return nil, fmt.Errorf("tokenplug/iam: token request: %w", err)
	}
	return s.parse(body)
}

// parse reads IAM's JSON answer. A 200 that is not IAM's JSON, or has no
// access_token, is Temporary: it comes from something between us and IAM (a
// proxy's or load balancer's error page, a truncated response), not from IAM
// judging the API key, so a later attempt may well succeed.
func (s *tokenSource) parse(body []byte) (*oauth2.Token, error) {
	var r tokenResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, plugin.Temporary(fmt.Errorf("tokenplug/iam: token response is not JSON: %s",
			// Snippet may cut bytes that are not UTF-8; error text crosses gRPC,
			// whose strings must be valid UTF-8.
			strings.ToValidUTF8(plugin.Snippet(body, s.apikey, s.clientSecret), "?")))
	}
	if r.AccessToken == "" {
		return nil, plugin.Temporary(errors.New("tokenplug/iam: token response has no access_token"))
	}
	typ := r.TokenType
	if typ == "" {
		typ = "Bearer"
	}
	return &oauth2.Token{AccessToken: r.AccessToken, TokenType: typ, Expiry: s.expiry(r)}, nil
}

// expiry prefers IAM's absolute expiration, then expires_in, then the JWT's
// exp, then IAM's documented one hour.
func (s *tokenSource) expiry(r tokenResponse) time.Time {
	switch {
	case r.Expiration > 0:
		return time.Unix(r.Expiration, 0)
	case r.ExpiresIn > 0:
		return s.now().Add(time.Duration(r.ExpiresIn) * time.Second)
	}
	if exp, ok := plugin.JWTExpiry(r.AccessToken); ok {
		return exp
	}
	return s.now().Add(fallbackLifetime)
}
