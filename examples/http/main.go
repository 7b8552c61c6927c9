// Command http shows tokenplug's transport on a plain http.Client, with no
// network and no secrets: it starts two local servers, an API that wants a
// bearer token and an "elsewhere" server that must never see one, and calls
// them through a Transport scoped to the API's host.
//
//	go run ./examples/http
//
// In an application the source is a *host.Source from a tokenplug registry;
// here it is emulator.Source, a fake that mints tokens, so the example runs
// on its own.
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/transport"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.SetFlags(0)
		log.Fatal(err)
	}
}

func run(out io.Writer) error {
	src := emulator.NewSource("demo")
	api := newAPI()
	defer api.Close()
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "elsewhere saw Authorization=%q", r.Header.Get("Authorization"))
	}))
	defer elsewhere.Close()

	// The three lines an application adds to its existing client.
	client := &http.Client{}
	apiHost := api.Listener.Addr().String() // "api.example.com" in real life
	client.Transport = transport.New(client.Transport, src, transport.WithHosts(apiHost))
	defer client.CloseIdleConnections()

	steps := []struct{ what, url string }{
		{"call the API (in scope: token added)", api.URL + "/v1/things"},
		{"call another host (out of scope: no token, no fetch)", elsewhere.URL + "/"},
		{"follow the API's redirect to another host (token dropped)", api.URL + "/go?" + url.Values{"to": {elsewhere.URL + "/landed"}}.Encode()},
		{"API revokes the token: 401, fresh token, one retry", api.URL + "/v1/revoke-then-things"},
	}
	for i, s := range steps {
		status, body, err := get(client, s.url)
		if err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
		fmt.Fprintf(out, "%d. %s\n   -> %s: %s\n", i+1, s.what, status, body)
	}
	fmt.Fprintf(out, "tokens minted: %d\n", src.Minted())
	return nil
}

func get(client *http.Client, u string) (status, body string, err error) {
	resp, err := client.Get(u)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.Status, strings.TrimSpace(string(b)), err
}

// newAPI starts the API server. It accepts the source's current token, and
// on /v1/revoke-then-things revokes it first, as a server does when a token
// is withdrawn before it expires.
func newAPI() *httptest.Server {
	var mu sync.Mutex // guards revoked
	revoked := map[string]bool{}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		mu.Lock()
		if r.URL.Path == "/v1/revoke-then-things" && len(revoked) == 0 {
			revoked[tok] = true
		}
		ok := tok != "" && !revoked[tok] && strings.HasPrefix(tok, "demo-token-")
		mu.Unlock()
		if !ok {
			http.Error(w, "api: token rejected", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "api accepted %s", tok)
	}))
}
