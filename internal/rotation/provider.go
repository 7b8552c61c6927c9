package rotation

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// Provider refreshes against a Server: each token carries the rotated
// refresh token as a settings update of refresh_token. Its "careless"
// setting makes it log the refresh token it is about to use, and echo it
// (raw, base64, hex) in the error when the server refuses it: the host
// must scrub every one of those, the rotated values included. Its
// "update_key" setting names the key the update uses instead of
// refresh_token (an undeclared one, for the host to refuse).
type Provider struct{}

// Describe declares the provider's settings.
func (Provider) Describe() plugin.Description {
	return plugin.Description{
		Name:    "rotate",
		Version: "0.0.1",
		Settings: []plugin.Setting{
			{Key: "token_url", Description: "the Server's token endpoint", Required: true},
			{Key: "refresh_token", Description: "the refresh token; rotated on every use", Required: true, Secret: true},
			{Key: "careless", Description: "true: log the refresh token and echo it in errors"},
			{Key: "update_key", Description: "the settings update's key", Default: "refresh_token"},
			{Key: "pid_file", Description: "if set, Configure writes the plugin's pid there, for tests that kill it"},
		},
	}
}

// Configure returns a source that refreshes with settings' refresh token.
func (Provider) Configure(_ context.Context, s map[string]string) (oauth2.TokenSource, error) {
	u, err := plugin.URL(s, "token_url")
	if err != nil {
		return nil, err
	}
	if f := s["pid_file"]; f != "" {
		if err := os.WriteFile(f, []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
			return nil, plugin.Errorf("pid_file", "cannot write it")
		}
	}
	return &source{url: u.String(), rt: s["refresh_token"], careless: s["careless"] == "true", key: s["update_key"], client: plugin.NewHTTPClient(plugin.DefaultTimeout)}, nil
}

type source struct {
	url, key string
	careless bool
	client   *http.Client

	mu sync.Mutex // guards rt, and serialises refreshes (each spends rt)
	rt string
}

func (s *source) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

// TokenContext spends the refresh token for an access token and the next
// refresh token, which it keeps and hands to the host.
func (s *source) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.careless {
		plugin.Logger().Info("refreshing", "refresh_token", s.rt, "note", "using "+s.rt)
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.rt}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, plugin.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	body, _, err := plugin.Do(s.client, req, s.rt)
	if err != nil {
		if s.careless {
			return nil, plugin.Permanent(&echoError{err: err, rt: s.rt})
		}
		return nil, err
	}
	var r struct {
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int64  `json:"expires_in"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := plugin.DecodeJSON(body, &r); err != nil {
		return nil, err
	}
	exp, err := plugin.ExpiryAfterSeconds(time.Now(), r.ExpiresIn)
	if err != nil {
		return nil, err
	}
	tok := &oauth2.Token{AccessToken: r.AccessToken, TokenType: r.TokenType, Expiry: exp}
	if r.RefreshToken != "" {
		s.rt = r.RefreshToken
		tok = plugin.WithSettingsUpdate(tok, map[string]string{s.key: r.RefreshToken})
	}
	return tok, nil
}

// echoError is a careless provider's error: it quotes the refresh token,
// raw, in base64 and in hex.
type echoError struct {
	err error
	rt  string
}

func (e *echoError) Error() string {
	return e.err.Error() + "; refresh token " + e.rt + " " + base64.StdEncoding.EncodeToString([]byte(e.rt)) + " " + hex.EncodeToString([]byte(e.rt))
}

func (e *echoError) Unwrap() error { return e.err }
