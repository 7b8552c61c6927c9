package iam

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// leakedToken is the access token of the 200 responses below: recognisable,
// so that any fragment of it in an error is found.
const leakedToken = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJMRUFLRURUT0tFTiJ9.QUNDRVNTVE9LRU5TSUdOQVRVUkU"

func TestARedirectWithinTheOriginIsFollowed(t *testing.T) {
	f := newFixture(t)
	mux := http.NewServeMux()
	mux.Handle("/old", http.RedirectHandler("/identity/token", http.StatusTemporaryRedirect))
	mux.Handle("/", f.iam)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingAPIKey: testKey, SettingTokenURL: srv.URL + "/old"})
	if _, err := ts.Token(); err != nil {
		t.Errorf("Token after a same-origin 307: %v", err)
	}
}

func TestPlainHTTPTokenURLIsAcceptedOnlyForLoopback(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080/identity/token", "http://localhost/identity/token", "http://[::1]:9/t"} {
		if _, err := plugintest.Configure(t.Context(), Provider{}, map[string]string{SettingAPIKey: "k", SettingTokenURL: u}); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	_, err := plugintest.Configure(t.Context(), Provider{}, map[string]string{SettingAPIKey: "k", SettingTokenURL: "http://example.com/identity/token"})
	var se plugin.SettingErrors
	if !errors.As(err, &se) || len(se) != 1 || se[0].Key != SettingTokenURL || !strings.Contains(se[0].Message, "https") {
		t.Errorf("http://example.com: err = %v, want an error naming %s and asking for https", err, SettingTokenURL)
	}
}

// badBodies are 200 answers holding leakedToken that must be refused.
var badBodies = map[string]string{
	"expires_in as a string":      `{"access_token":"` + leakedToken + `","expires_in":"3600"}`,
	"token_type as a number":      `{"access_token":"` + leakedToken + `","token_type":1,"expires_in":3600}`,
	"truncated":                   `{"access_token":"` + leakedToken + `","expires_in":36`,
	"invalid syntax":              `{"access_token":"` + leakedToken + `" "expires_in":3600}`,
	"negative expires_in":         `{"access_token":"` + leakedToken + `","expires_in":-5}`,
	"zero expires_in":             `{"access_token":"` + leakedToken + `","expires_in":0}`,
	"overflowing expires_in":      `{"access_token":"` + leakedToken + `","expires_in":9223372036854775807}`,
	"expires_in over a year":      `{"access_token":"` + leakedToken + `","expires_in":40000000}`,
	"expires_in beyond int64":     `{"access_token":"` + leakedToken + `","expires_in":1e30}`,
	"expiration before 1970":      `{"access_token":"` + leakedToken + `","expiration":-100}`,
	"expiration in the year 3000": `{"access_token":"` + leakedToken + `","expiration":32503680000}`,
}
