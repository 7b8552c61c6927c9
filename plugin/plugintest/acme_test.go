package plugintest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// acmeKey is the key acmeUpstream issues tokens to.
const acmeKey = "Kq8Vm3Xr7Tb2Wn9Lp4Hd"

// acme is a small provider that posts its key in an X-Api-Key header to
// token_url and reads a JSON answer: careful, unless breaks names the
// mistake it makes, one a new author could make.
type acme struct {
	client *http.Client
	breaks string
}

// The mistakes acme can make.
const (
	ignoresContext    = "builds its request without the caller's context"
	ignoresContextDef = "builds its request without the context, and sends it with http.DefaultClient"
	unclassified      = "returns errors it did not classify"
	quotesBody        = "quotes the upstream's whole body in its error"
	tokenOnly         = "implements Token but not TokenContext"
	urlParse          = "parses token_url with url.Parse"
	vendorDefault     = "defaults token_url to the vendor's endpoint"
	rawExpiry         = "adds expires_in to the clock without checking it"
	keyNotSecret      = "does not mark api_key Secret"
)

func (p acme) Describe() plugin.Description {
	url := plugin.Setting{Key: "token_url", Description: "token endpoint", Required: true}
	if p.breaks == vendorDefault {
		url = plugin.Setting{Key: "token_url", Description: "token endpoint", Default: "https://vendor.invalid/token"}
	}
	return plugin.Description{Name: "acme", Version: "1.0.0", Settings: []plugin.Setting{
		url,
		{Key: "api_key", Description: "the key", Required: true, Secret: p.breaks != keyNotSecret},
	}}
}

func (p acme) Configure(_ context.Context, s map[string]string) (oauth2.TokenSource, error) {
	u, err := plugin.URL(s, "token_url")
	if p.breaks == urlParse {
		u, err = url.Parse(s["token_url"])
	}
	if err != nil {
		return nil, err
	}
	src := &acmeSource{p: p, url: u.String(), key: s["api_key"]}
	if p.breaks == tokenOnly {
		return tokenOnlySource{src}, nil
	}
	return src, nil
}

type acmeSource struct {
	p        acme
	url, key string
}

func (s *acmeSource) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

func (s *acmeSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	if s.p.breaks == ignoresContext || s.p.breaks == ignoresContextDef {
		ctx = context.Background()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, http.NoBody)
	if err != nil {
		return nil, plugin.Permanent(fmt.Errorf("tokenplug/acme: %w", err))
	}
	req.Header.Set("X-Api-Key", s.key)
	if s.p.breaks == unclassified || s.p.breaks == quotesBody {
		return s.careless(req)
	}
	client := s.p.client
	if s.p.breaks == ignoresContextDef {
		client = http.DefaultClient
	}
	received := time.Now()
	body, _, err := plugin.Do(client, req, s.key)
	if err != nil {
		return nil, fmt.Errorf("tokenplug/acme: %w", err)
	}
	var r struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := plugin.DecodeJSON(body, &r); err != nil {
		return nil, fmt.Errorf("tokenplug/acme: %w", err)
	}
	if r.AccessToken == "" {
		return nil, plugin.Temporary(errors.New("tokenplug/acme: no access_token"))
	}
	if s.p.breaks == rawExpiry {
		return &oauth2.Token{AccessToken: r.AccessToken, Expiry: received.Add(time.Duration(r.ExpiresIn) * time.Second)}, nil
	}
	exp, err := plugin.ExpiryAfterSeconds(received, r.ExpiresIn)
	if err != nil {
		return nil, fmt.Errorf("tokenplug/acme: %w", err)
	}
	return &oauth2.Token{AccessToken: r.AccessToken, Expiry: exp}, nil
}

// careless sends req with net/http alone and reports a failure in an
// error of its own making.
func (s *acmeSource) careless(req *http.Request) (*oauth2.Token, error) {
	resp, err := plugin.NewHTTPClient(0).Do(req)
	if err != nil {
		return nil, plugin.Temporary(fmt.Errorf("tokenplug/acme: %w", err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		return &oauth2.Token{AccessToken: "careless-token-0123456789", Expiry: time.Now().Add(time.Hour)}, nil
	}
	if s.p.breaks == quotesBody {
		return nil, plugin.Temporary(fmt.Errorf("tokenplug/acme: upstream said %s", plugin.Redact(string(body), s.key)))
	}
	return nil, fmt.Errorf("tokenplug/acme: upstream returned %d", resp.StatusCode)
}

// tokenOnlySource hides acmeSource's TokenContext.
type tokenOnlySource struct{ s *acmeSource }

func (t tokenOnlySource) Token() (*oauth2.Token, error) { return t.s.Token() }

// acmeUpstream issues a token to acmeKey.
var acmeUpstream = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Api-Key") != acmeKey {
		http.Error(w, "unknown key", http.StatusUnauthorized)
		return
	}
	_, _ = io.WriteString(w, `{"access_token":"acme-access-token-0123","expires_in":3600}`)
})

// acmeFaults is an Upstream for acme breaking as named, with faults.
func acmeFaults(breaks string, faults ...Fault) Upstream {
	return Upstream{
		Handler:     acmeUpstream,
		Settings:    func(url string) map[string]string { return map[string]string{"token_url": url, "api_key": acmeKey} },
		Faults:      faults,
		ErrorPrefix: "tokenplug/acme: ",
		WithClient:  func(c *http.Client) plugin.Provider { return acme{client: c, breaks: breaks} },
	}
}
