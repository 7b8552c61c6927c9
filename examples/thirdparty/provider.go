package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tokenplug/tokenplug/plugin"
)

// provider fetches tokens with the client credentials grant. The zero
// value is ready to use.
type provider struct{}

func (provider) Describe() plugin.Description {
	return plugin.Description{
		Name:    "clientcredentials",
		Version: "0.1.0",
		// No DefaultHosts: this provider serves any authorization server,
		// so only its users know where its tokens belong; they configure
		// hosts, and until they do a host sends the token nowhere.
		Settings: []plugin.Setting{
			{Key: "token_url", Required: true, Description: "the authorization server's token endpoint (https)"},
			{Key: "client_id", Required: true, Description: "the OAuth client ID"},
			{Key: "client_secret", Required: true, Secret: true, Description: "the OAuth client secret"},
			{Key: "scopes", Description: "space-separated scopes to request; empty: the client's defaults"},
		},
	}
}

func (provider) Configure(_ context.Context, s map[string]string) (oauth2.TokenSource, error) {
	tokenURL, err := plugin.URL(s, "token_url") // https, or http to loopback for tests
	if err != nil {
		return nil, err
	}
	return &source{cfg: clientcredentials.Config{
		ClientID:     s["client_id"],
		ClientSecret: s["client_secret"],
		TokenURL:     tokenURL.String(),
		Scopes:       strings.Fields(s["scopes"]),
	}}, nil
}

// httpClient bounds a token request the host's context does not (an
// endpoint that takes half a minute to answer is down) and refuses redirects
// to another origin, which would carry the client secret with them.
var httpClient = plugin.NewHTTPClient(30 * time.Second)

type source struct{ cfg clientcredentials.Config }

func (s *source) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

// TokenContext asks the server for a new token on every call: the host
// caches it and refreshes it before it expires.
func (s *source) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	tok, err := s.cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, httpClient))
	if err != nil {
		return nil, fmt.Errorf("tokenplug/clientcredentials: %w", s.classify(err))
	}
	return tok, nil
}

// classify tells the host whether to retry: the server's answer by its
// status (400/401 permanent, 429 rate limited with Retry-After, 5xx
// temporary), a redirect to another origin permanent (httpClient refused
// to carry the secret there; retrying cannot help), anything else
// (network, timeout, a malformed 200) temporary.
func (s *source) classify(err error) error {
	if errors.Is(err, plugin.ErrCrossOriginRedirect) {
		return plugin.Permanent(err)
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		if classified := plugin.CheckStatus(re.Response, re.Body, s.cfg.ClientSecret); classified != nil {
			return classified
		}
	}
	return plugin.Temporary(err)
}
