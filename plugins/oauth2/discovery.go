package oauth2

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tokenplug/tokenplug/plugin"
)

// metadata is the part of an RFC 8414 §2 (or OpenID Connect Discovery §3)
// document the token source needs.
type metadata struct {
	Issuer        string `json:"issuer"`
	TokenEndpoint string `json:"token_endpoint"`
}

// endpoint returns the token endpoint: TokenURL, or the one the issuer's
// metadata names, discovered on first use and kept for the source's life.
// Concurrent first calls may both discover; they find the same answer.
func (s *TokenSource) endpoint(ctx context.Context) (string, error) {
	if p := s.tokenURL.Load(); p != nil {
		return *p, nil
	}
	u, err := s.discover(ctx)
	if err != nil {
		return "", s.errorf("discovery: %w", err)
	}
	s.tokenURL.Store(&u)
	return u, nil
}

// wellKnown returns the metadata URLs to try for issuer, in order: RFC
// 8414 §3.1 (the well-known segment between host and path), then OpenID
// Connect Discovery §4.1 (appended to the issuer).
func wellKnown(issuer string) ([]string, error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return nil, err
	}
	path := strings.TrimSuffix(u.Path, "/")
	oauth := *u
	oauth.Path, oauth.RawPath = "/.well-known/oauth-authorization-server"+path, ""
	oidc := *u
	oidc.Path, oidc.RawPath = path+"/.well-known/openid-configuration", ""
	return []string{oauth.String(), oidc.String()}, nil
}

// discover fetches the issuer's metadata from the first well-known URL
// that serves it: a server that answers the RFC 8414 URL with anything but
// metadata (404, a login page) may still serve the OpenID one. If neither
// does, the error is the OpenID URL's, or, when both were not found, one
// naming both. The document's issuer must equal the configured one (RFC
// 8414 §3.3, OpenID Connect Discovery §4.3: no mix-up), and its token
// endpoint must be a URL credentials may be sent to.
func (s *TokenSource) discover(ctx context.Context) (string, error) {
	urls, err := wellKnown(s.cfg.Issuer)
	if err != nil {
		return "", plugin.Permanent(errors.New("issuer is not a URL"))
	}
	var last error
	for _, u := range urls {
		md, err := s.fetchMetadata(ctx, u)
		if err == nil {
			return s.checkMetadata(md)
		}
		if ctx.Err() != nil {
			return "", err
		}
		last = err
	}
	if errors.Is(last, errNotFound) {
		return "", plugin.Permanent(fmt.Errorf("no metadata at %s or %s", urls[0], urls[1]))
	}
	return "", last
}

var errNotFound = errors.New("not found")

func (s *TokenSource) fetchMetadata(ctx context.Context, u string) (metadata, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return metadata{}, plugin.Permanent(err)
	}
	req.Header.Set("Accept", "application/json")
	body, resp, err := plugin.Do(s.httpClient(), req)
	if resp != nil && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone) {
		return metadata{}, errNotFound
	}
	if err != nil {
		return metadata{}, err
	}
	var md metadata
	if err := plugin.DecodeJSON(body, &md); err != nil {
		return metadata{}, fmt.Errorf("metadata: %w", err)
	}
	return md, nil
}

func (s *TokenSource) checkMetadata(md metadata) (string, error) {
	if md.Issuer != s.cfg.Issuer {
		return "", plugin.Permanent(fmt.Errorf("the metadata's issuer %s is not the issuer setting %q (RFC 8414 §3.3)", safeURL(md.Issuer), s.cfg.Issuer))
	}
	if md.TokenEndpoint == "" {
		return "", plugin.Permanent(errors.New("the metadata has no token_endpoint"))
	}
	var se plugin.SettingError
	if _, err := plugin.URL(map[string]string{"token_endpoint": md.TokenEndpoint}, "token_endpoint"); errors.As(err, &se) {
		return "", plugin.Permanent(fmt.Errorf("the metadata's token_endpoint %s", se.Message))
	}
	return md.TokenEndpoint, nil
}

// safeURL quotes a URL a server sent when it is short visible ASCII.
func safeURL(s string) string {
	if s == "" || len(s) > 200 || !headerSafe(s) {
		return "(unprintable)"
	}
	return fmt.Sprintf("%q", s)
}
