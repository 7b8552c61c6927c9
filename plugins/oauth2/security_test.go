package oauth2

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// A server that echoes the request (its form, with the client assertion,
// subject token and secret) in an error page or in error_description gets
// none of them into the error.
func TestAnEchoedRequestLeavesNoAssertionTokenOrSecretInTheError(t *testing.T) {
	subject := writeTemp(t, "subject", "SUBJECT-TOKEN-0123456789-abcdef")
	for _, tt := range []struct {
		name string
		echo func(w http.ResponseWriter, body string)
	}{
		{"a text error page", func(w http.ResponseWriter, body string) {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, "bad request: "+body)
		}},
		{"error_description", func(w http.ResponseWriter, body string) {
			w.WriteHeader(400)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": "you sent " + body})
		}},
		{"a 200 holding a §5.2 error", func(w http.ResponseWriter, body string) {
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": "you sent " + body})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var form url.Values // guarded by mu
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				form, _ = url.ParseQuery(string(b))
				mu.Unlock()
				decoded, _ := url.QueryUnescape(string(b))
				tt.echo(w, decoded)
			}))
			defer srv.Close()
			ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingTokenURL: srv.URL, SettingClientID: "c", SettingClientAuth: "private_key_jwt",
				SettingPrivateKey: pemOf(t, ecKey, true), SettingGrant: "token_exchange", SettingSubjectTokenFile: subject})
			_, err := ts.Token()
			if err == nil {
				t.Fatal("no error")
			}
			mu.Lock()
			sent := []string{form.Get("client_assertion"), form.Get("subject_token")}
			mu.Unlock()
			for _, v := range sent {
				if v == "" {
					t.Fatal("the request carried no assertion or subject token")
				}
				if plugintest.ContainsPart(err.Error(), v) || strings.Contains(err.Error(), v[len(v)-8:]) {
					t.Errorf("error %q quotes part of %.10q...", err, v)
				}
			}
		})
	}
}
