package transport_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/transport"
)

// apiServer stands in for an API that wants "Authorization: Bearer s3cr3t".
func apiServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cr3t" {
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "hello, authorized caller")
	}))
}

// Wrap an existing http.Client: its Transport (nil means
// http.DefaultTransport) becomes the base that sends the requests.
func ExampleNew() {
	srv := apiServer()
	defer srv.Close()
	client := &http.Client{}
	apiHost := strings.TrimPrefix(srv.URL, "http://") // "api.example.com" in real life

	src := transport.FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "s3cr3t"}))
	client.Transport = transport.New(client.Transport, src, transport.WithHosts(apiHost))
	defer client.CloseIdleConnections()

	resp, err := client.Get(srv.URL + "/v1/things")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))
	// Output: 200 OK hello, authorized caller
}

// Requests to hosts outside the scope go out unchanged, without a token.
func ExampleWithHosts() {
	srv := apiServer()
	defer srv.Close()
	src := transport.FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "s3cr3t"}))
	client := &http.Client{Transport: transport.New(nil, src, transport.WithHosts("api.example.com", "*.api.example.com"))}
	defer client.CloseIdleConnections()

	resp, err := client.Get(srv.URL) // 127.0.0.1 is not in scope
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output: 401 Unauthorized
}

// When the source fails, nothing is sent, and the error names the provider.
func ExampleTokenError() {
	failing := oauth2.TokenSource(failingSource{})
	client := &http.Client{Transport: transport.New(nil, transport.FromOAuth2(failing), transport.WithName("watson"), transport.WithHosts("api.example.com"))}

	_, err := client.Get("https://api.example.com/v1/things")
	var te *transport.TokenError
	if errors.As(err, &te) {
		fmt.Println(te.Provider)
		fmt.Println(te)
	}
	// Output:
	// watson
	// tokenplug/transport: no token from "watson": tokenplug/iam: apikey rejected
}

type failingSource struct{}

func (failingSource) Token() (*oauth2.Token, error) {
	return nil, errors.New("tokenplug/iam: apikey rejected")
}
