package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/emulator"
)

// Whatever a client sends, the token endpoint answers RFC 6749 JSON (a
// token or a §5.2 error), never a 5xx, a panic or a body echoing a secret.
func FuzzOAuth2TokenEndpoint(f *testing.F) {
	f.Add("grant_type=client_credentials&client_id=c&client_secret=s3%3Acr%2Bt", "")
	f.Add("grant_type=client_credentials", "Basic YzpzM2NyK3Q=")
	f.Add("grant_type=refresh_token&refresh_token=rt-x&client_id=c&client_secret=s3%3Acr%2Bt", "")
	f.Add("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c", "")
	f.Add("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=e30.e30.&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt", "")
	f.Add("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=eyJhbGciOiJub25lIn0.e30.&grant_type=client_credentials", "")
	f.Add("grant_type=client_credentials&client_id=c&client_secret=s3%3Acr%2Bt&claims=%7B%22access_token%22%3A%7B%22x%22%3Anull%7D%7D&resource=%25zz", "")
	f.Add("%%%&&==;", "Basic %%%")
	e := emulator.NewOAuth2()
	e.Issuer = "http://127.0.0.1:1"
	if err := e.AddClient(emulator.OAuth2Client{ID: "c", Secret: "s3:cr+t"}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body, authz string) {
		req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		var answer struct {
			AccessToken string `json:"access_token"`
			Error       string `json:"error"`
		}
		if rec.Code >= 500 || json.Unmarshal(rec.Body.Bytes(), &answer) != nil || (answer.AccessToken == "") == (answer.Error == "") {
			t.Fatalf("status %d body %q", rec.Code, rec.Body.String())
		}
		if strings.Contains(rec.Body.String(), "s3:cr+t") {
			t.Fatalf("answer echoes the secret: %q", rec.Body.String())
		}
	})
}
