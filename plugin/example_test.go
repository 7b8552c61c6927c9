package plugin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// exchange is a whole provider: it trades an API key for a short-lived
// token at a token endpoint. Its binary's main is one line:
//
//	func main() { plugin.Serve(exchange{}) }
type exchange struct{}

func (exchange) Describe() plugin.Description {
	return plugin.Description{
		Name:    "exchange",
		Version: "1.0.0",
		Settings: []plugin.Setting{
			{Key: "api_key", Description: "the API key", Required: true, Secret: true},
			{Key: "token_url", Description: "token endpoint", Default: "https://auth.example.com/token"},
		},
	}
}

func (exchange) Configure(_ context.Context, s map[string]string) (oauth2.TokenSource, error) {
	u, err := plugin.URL(s, "token_url") // a SettingError naming token_url if bad
	if err != nil {
		return nil, err
	}
	return &exchangeSource{key: s["api_key"], url: u.String()}, nil
}

type exchangeSource struct{ key, url string }

func (s *exchangeSource) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

// TokenContext fetches a new token each call: the host caches it.
func (s *exchangeSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	form := url.Values{"api_key": {s.key}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("tokenplug/exchange: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// Do classifies failures (401 permanent, 429 rate limited, 5xx
	// temporary), redacts the key from any error body it quotes, and
	// refuses redirects to another origin. A nil client means
	// plugin.NewHTTPClient(plugin.DefaultTimeout).
	received := time.Now()
	body, _, err := plugin.Do(nil, req, s.key)
	if err != nil {
		return nil, fmt.Errorf("tokenplug/exchange: %w", err)
	}
	var r struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	// DecodeJSON's errors never quote the body, which holds the token.
	if err := plugin.DecodeJSON(body, &r); err != nil {
		return nil, fmt.Errorf("tokenplug/exchange: %w", err)
	}
	// Anchored to our clock; zero, negative or absurd lifetimes are errors.
	exp, err := plugin.ExpiryAfterSeconds(received, r.ExpiresIn)
	if err != nil {
		return nil, fmt.Errorf("tokenplug/exchange: expires_in: %w", err)
	}
	return &oauth2.Token{AccessToken: r.AccessToken, TokenType: "Bearer", Expiry: exp}, nil
}

// A whole provider, run in-process against a local token endpoint the way
// Serve runs it in a plugin binary: settings checked against the schema,
// then Configure, then Token.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("api_key") != "k-123" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"access_token":"tok-1","expires_in":3600}`)
	}))
	defer srv.Close()

	p := exchange{}
	for _, key := range []string{"k-123", "wrong-key"} {
		settings, err := plugin.ApplySchema(p.Describe(), map[string]string{"api_key": key, "token_url": srv.URL})
		if err != nil {
			fmt.Println(err)
			return
		}
		ts, err := p.Configure(context.Background(), settings)
		if err != nil {
			fmt.Println(err)
			return
		}
		tok, err := ts.Token()
		if err != nil {
			fmt.Printf("%v: %v\n", plugin.KindOf(err), err)
			continue
		}
		fmt.Println(tok.AccessToken, tok.Valid())
	}

	_, err := plugin.ApplySchema(p.Describe(), map[string]string{"apikey": "k-123"})
	fmt.Println(err)
	// Output:
	// tok-1 true
	// permanent: tokenplug/exchange: upstream returned 401 Unauthorized: {"error":"invalid_client"}
	// setting "api_key": required; setting "apikey": unknown setting for plugin exchange
}
