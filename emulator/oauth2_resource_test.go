package emulator_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/emulator"
)

// RFC 6750 §3: a protected resource answers each kind of refusal with its
// Bearer challenge, and serves a token that meets its policy.
func TestOAuth2RequireAuthAnswersRFC6750Challenges(t *testing.T) {
	e := oauthServer(t)
	mustAdd(t, e, emulator.OAuth2Client{ID: "c", Secret: "s"})
	const claims = `{"access_token":{"xms_cc":{"values":["cp1"]}}}`
	api := httptest.NewServer(e.RequireAuth(emulator.ResourcePolicy{Audience: "orders", Scopes: []string{"orders.read"}, Claims: claims},
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })))
	t.Cleanup(api.Close)
	token := func(kv ...string) string {
		return mustTokenString(t, tokenPost(t, e, form(append([]string{"grant_type", "client_credentials", "client_id", "c", "client_secret", "s"}, kv...)...), nil))
	}
	good := token("audience", "orders", "scope", "orders.read", "claims", claims)
	other := emulator.StartOAuth2()
	defer other.Close()
	mustAdd(t, other, emulator.OAuth2Client{ID: "c", Secret: "s"})
	foreign, _ := other.IssueToken("c", "orders.read")
	for _, tc := range []struct {
		name, token string
		status      int
		challenge   string
	}{
		{"no token", "", 401, `Bearer realm="emulator"`},
		{"another server's token", foreign, 401, `error="invalid_token"`},
		{"another audience", token("audience", "billing", "scope", "orders.read", "claims", claims), 401, `error="invalid_token"`},
		{"a missing scope", token("audience", "orders", "claims", claims), 403, `error="insufficient_scope", scope="orders.read"`},
		{"missing claims", token("audience", "orders", "scope", "orders.read"), 401,
			`error="insufficient_claims", claims="` + base64.StdEncoding.EncodeToString([]byte(claims)) + `"`},
		{"a token that meets the policy", good, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, api.URL, nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != tc.status || !strings.Contains(got, tc.challenge) ||
				(tc.challenge == "" && got != "") {
				t.Errorf("%d %q, want %d %q", resp.StatusCode, got, tc.status, tc.challenge)
			}
		})
	}
}

func mustTokenString(t *testing.T, a oauthAnswer) string {
	t.Helper()
	if a.AccessToken == "" {
		t.Fatalf("no token: %+v", a)
	}
	return a.AccessToken
}
