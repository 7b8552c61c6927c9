package interop

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

func TestMain(m *testing.M) { testbin.Main(m, testbin.Plugins("oauth2")) }

// fetcher is an oauth2 provider registered in a real host, running the
// tokenplug-oauth2 binary; every invalidation forces a new fetch.
type fetcher struct {
	src *host.Source
}

func newFetcher(t *testing.T, settings map[string]string) *fetcher {
	t.Helper()
	reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)), host.WithInvalidationWindow(0))
	t.Cleanup(func() { _ = reg.Close() })
	if err := reg.Register("fosite", host.ProviderConfig{Path: testbin.Path("oauth2"), Hosts: []string{"api.example"}, Settings: settings}); err != nil {
		t.Fatal(err)
	}
	src, err := reg.Source("fosite")
	if err != nil {
		t.Fatal(err)
	}
	return &fetcher{src: src}
}

// fresh fetches a new token: it drops the cached one first.
func (f *fetcher) fresh(t *testing.T) (*oauth2.Token, error) {
	t.Helper()
	f.src.Invalidate(nil)
	return f.src.Token(t.Context())
}

// postForm sends a token request as a test's own client would.
func postForm(t *testing.T, tokenURL string, form url.Values, id, secret string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}
