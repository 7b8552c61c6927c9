// Command vendorplug is a plugin for the conformance kit's own tests: its
// token_url is required and has a default, the vendor's endpoint
// (https://vendor.invalid/token), so the kit's "missing required setting"
// check makes it fetch from there. The kit must refuse that request and
// fail the check naming the host.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

type provider struct{}

func (provider) Describe() plugin.Description {
	return plugin.Description{Name: "vendorplug", Version: "0.0.1", Settings: []plugin.Setting{
		{Key: "token_url", Description: "token endpoint", Required: true, Default: "https://vendor.invalid/token"},
		{Key: "api_key", Description: "the key", Required: true, Secret: true},
	}}
}

func (provider) Configure(_ context.Context, s map[string]string) (oauth2.TokenSource, error) {
	u, err := plugin.URL(s, "token_url")
	if err != nil {
		return nil, err
	}
	return &source{url: u.String(), key: s["api_key"]}, nil
}

type source struct{ url, key string }

func (s *source) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

func (s *source) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, http.NoBody)
	if err != nil {
		return nil, plugin.Permanent(fmt.Errorf("tokenplug/vendorplug: %w", err))
	}
	req.Header.Set("X-Api-Key", s.key)
	body, _, err := plugin.Do(nil, req, s.key)
	if err != nil {
		return nil, fmt.Errorf("tokenplug/vendorplug: %w", err)
	}
	var r struct {
		AccessToken string `json:"access_token"`
	}
	if err := plugin.DecodeJSON(body, &r); err != nil || r.AccessToken == "" {
		return nil, plugin.Temporary(errors.New("tokenplug/vendorplug: no access_token"))
	}
	return &oauth2.Token{AccessToken: r.AccessToken, Expiry: time.Now().Add(time.Hour)}, nil
}

func main() { plugin.Serve(provider{}) }
