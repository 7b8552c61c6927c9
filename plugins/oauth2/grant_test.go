package oauth2

import (
	"encoding/base64"
	"net/url"
	"testing"

	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// RFC 6749 §2.3.1: the id and secret are form-encoded, then base64'd.
func TestBasicAuthFormEncodesIDAndSecretBeforeBase64(t *testing.T) {
	srv := newServer(t)
	const id, secret = "my client:1", "s:e+c/r%e&t=x y"
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{
		SettingTokenURL: srv.URL, SettingClientID: id, SettingClientSecret: secret, SettingScope: "a  b",
	})
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "at-1" || tok.Type() != "Bearer" {
		t.Errorf("token %q type %q", tok.AccessToken, tok.Type())
	}
	got := srv.last(t)
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
	if h := got.header.Get("Authorization"); h != want {
		t.Errorf("Authorization = %q, want %q", h, want)
	}
	if got.form.Get("grant_type") != "client_credentials" || got.form.Get("scope") != "a b" || got.form.Has("client_secret") {
		t.Errorf("form = %v", got.form)
	}
}
