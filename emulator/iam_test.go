package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokenplug/tokenplug/emulator"
)

const iamTestKey = "test-apikey-0123456789"

// iamForm is a well-formed IAM API key grant for key.
func iamForm(key string) url.Values {
	return url.Values{"grant_type": {"urn:ibm:params:oauth:grant-type:apikey"}, "apikey": {key}, "response_type": {"cloud_iam"}}
}

// iamPost sends form to the emulator and returns the status and body.
// iamServer serves a new IAM emulator that knows iamTestKey on loopback
// until the test ends; edit, if set, changes the emulator before it serves.
func iamServer(t *testing.T, edit func(*emulator.IAM)) (*emulator.IAM, *httptest.Server) {
	t.Helper()
	iam := emulator.NewIAM()
	iam.AddAPIKey(iamTestKey)
	if edit != nil {
		edit(iam)
	}
	ts := httptest.NewServer(iam)
	t.Cleanup(ts.Close)
	return iam, ts
}

func iamPost(t *testing.T, ts *httptest.Server, form url.Values, edit func(*http.Request)) (int, []byte) {
	t.Helper()
	status, _, body := do(t, ts, http.MethodPost, "/identity/token", strings.NewReader(form.Encode()), func(req *http.Request) {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		if edit != nil {
			edit(req)
		}
	})
	return status, body
}

// iamAccessToken returns the access_token of an IAM answer.
func iamAccessToken(t *testing.T, body []byte) string {
	t.Helper()
	var got struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &got); err != nil || got.AccessToken == "" {
		t.Fatalf("no access_token in %s (%v)", body, err)
	}
	return got.AccessToken
}

// unverifiedClaims returns a JWT's claims without checking its signature.
func unverifiedClaims(t *testing.T, token string) jwt.MapClaims {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		t.Fatalf("unparsable token: %v", err)
	}
	return claims
}

func TestIAMIssuesATokenLikeIBM(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	iam, ts := iamServer(t, func(e *emulator.IAM) { e.Now = func() time.Time { return now } })

	status, body := iamPost(t, ts, iamForm(iamTestKey), nil)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var got struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int64  `json:"expires_in"`
		Expiration   int64  `json:"expiration"`
		Scope        string `json:"scope"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if got.RefreshToken != "not_supported" || got.TokenType != "Bearer" || got.ExpiresIn != 3600 ||
		got.Expiration != now.Unix()+3600 || got.Scope != "ibm openid" {
		t.Errorf("response = %+v, want IBM's fields", got)
	}
	if err := iam.Verify(got.AccessToken); err != nil {
		t.Errorf("Verify(issued token) = %v", err)
	}
	claims := jwt.MapClaims{}
	tok, _, err := jwt.NewParser().ParseUnverified(got.AccessToken, claims)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Method.Alg() != "RS256" || claims["exp"] != float64(now.Unix()+3600) || claims["client_id"] != "default" {
		t.Errorf("token alg %s claims %v", tok.Method.Alg(), claims)
	}
	if strings.Contains(string(body), iamTestKey) {
		t.Error("response contains the API key")
	}
	if iam.Issued() != 1 {
		t.Errorf("Issued() = %d, want 1", iam.Issued())
	}
}

// IssueToken gives the token a token request would, without the request.
func TestIAMIssueTokenIsTheTokenARequestWouldGet(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	iam, ts := iamServer(t, func(e *emulator.IAM) { e.Now = func() time.Time { return now } })
	direct, err := iam.IssueToken(iamTestKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := iam.Verify(direct); err != nil {
		t.Errorf("Verify(IssueToken) = %v", err)
	}
	_, body := iamPost(t, ts, iamForm(iamTestKey), nil)
	want, got := unverifiedClaims(t, iamAccessToken(t, body)), unverifiedClaims(t, direct)
	for _, c := range []string{"iam_id", "sub", "scope", "client_id", "grant_type", "iss", "exp"} {
		if got[c] != want[c] {
			t.Errorf("claim %s = %v, a token request gets %v", c, got[c], want[c])
		}
	}
	if iam.Issued() != 2 {
		t.Errorf("Issued() = %d, want 2", iam.Issued())
	}
	if _, err := iam.IssueToken("not-registered-key"); err == nil || strings.Contains(err.Error(), "not-registered") {
		t.Errorf("IssueToken(unknown key) = %v, want an error that names no key", err)
	}
}

func TestIAMRejectsWhatIBMRejects(t *testing.T) {
	iam, ts := iamServer(t, nil)
	with := func(k, v string) url.Values { f := iamForm(iamTestKey); f.Set(k, v); return f }

	tests := []struct {
		name   string
		form   url.Values
		edit   func(*http.Request)
		status int
		code   string
	}{
		{"an unknown API key", iamForm("wrong-key"), nil, 400, "BXNIM0415E"},
		{"a missing API key", with("apikey", ""), nil, 400, "BXNIM0109E"},
		{"another grant type", with("grant_type", "password"), nil, 400, "BXNIM0103E"},
		{"another response type", with("response_type", "uaa"), nil, 400, "BXNIM0109E"},
		{"a JSON body", iamForm(iamTestKey), func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }, 400, "BXNIM0109E"},
		{"a GET", iamForm(iamTestKey), func(r *http.Request) { r.Method = http.MethodGet }, 405, "BXNIM0001E"},
		{"Basic auth without a client id", iamForm(iamTestKey), func(r *http.Request) { r.SetBasicAuth("", "bx") }, 400, "BXNIM0436E"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := iamPost(t, ts, tt.form, tt.edit)
			var e struct {
				ErrorCode    string         `json:"errorCode"`
				ErrorMessage string         `json:"errorMessage"`
				Context      map[string]any `json:"context"`
			}
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if status != tt.status || e.ErrorCode != tt.code || e.ErrorMessage == "" || e.Context["requestId"] == "" {
				t.Errorf("got %d %s, want %d with errorCode %s", status, body, tt.status, tt.code)
			}
			if strings.Contains(string(body), iamTestKey) {
				t.Error("error body echoes the API key")
			}
		})
	}
	if iam.Issued() != 0 {
		t.Errorf("Issued() = %d after only rejections", iam.Issued())
	}
}

func TestIAMUnknownKeyAnswersIBMsMessage(t *testing.T) {
	ts := httptest.NewServer(emulator.NewIAM())
	defer ts.Close()
	_, body := iamPost(t, ts, iamForm("nope"), nil)
	if !strings.Contains(string(body), `"errorMessage":"Provided API key could not be found."`) {
		t.Errorf("body = %s", body)
	}
}

// The real service accepts the client pairs it knows; the emulator, knowing
// none of yours, accepts any pair until some are registered.
func TestIAMAcceptsAnyBasicAuthPairByDefault(t *testing.T) {
	_, ts := iamServer(t, nil)

	status, body := iamPost(t, ts, iamForm(iamTestKey), func(r *http.Request) { r.SetBasicAuth("any-client", "any-secret") })
	if status != 200 {
		t.Fatalf("status %d %s, want 200", status, body)
	}
	if c := unverifiedClaims(t, iamAccessToken(t, body)); c["client_id"] != "any-client" {
		t.Errorf("client_id claim %v, want any-client", c["client_id"])
	}
}

// IBM/go-sdk-core's IamAuthenticator sends its Scope as the form field
// scope; the token's scope carries it after IBM's "ibm openid".
func TestIAMAddsTheRequestedScope(t *testing.T) {
	iam, ts := iamServer(t, nil)

	form := iamForm(iamTestKey)
	form.Set("scope", "custom-scope other")
	status, body := iamPost(t, ts, form, nil)
	var got struct {
		Scope string `json:"scope"`
	}
	_ = json.Unmarshal(body, &got)
	tok := iamAccessToken(t, body)
	if c := unverifiedClaims(t, tok); status != 200 || got.Scope != "ibm openid custom-scope other" || c["scope"] != got.Scope {
		t.Fatalf("got %d scope %q, claim %v, want ibm openid custom-scope other", status, got.Scope, c["scope"])
	}
	if err := iam.Verify(tok); err != nil {
		t.Errorf("Verify of a scoped token: %v", err)
	}
}

func TestIAMChecksBasicAuthOnceClientsAreRegistered(t *testing.T) {
	_, ts := iamServer(t, func(e *emulator.IAM) { e.AddClient("bx", "bx-secret") })

	for name, edit := range map[string]func(*http.Request){
		"none":         nil,
		"wrong secret": func(r *http.Request) { r.SetBasicAuth("bx", "nope") },
	} {
		if status, body := iamPost(t, ts, iamForm(iamTestKey), edit); status != 400 {
			t.Errorf("%s: status %d %s, want 400", name, status, body)
		}
	}
	status, body := iamPost(t, ts, iamForm(iamTestKey), func(r *http.Request) { r.SetBasicAuth("bx", "bx-secret") })
	if status != 200 {
		t.Fatalf("status %d %s", status, body)
	}
	if claims := unverifiedClaims(t, iamAccessToken(t, body)); claims["client_id"] != "bx" {
		t.Errorf("claims %v, want client_id bx", claims)
	}
}

func TestIAMVerifyRejectsForeignExpiredAndTamperedTokens(t *testing.T) {
	now := time.Now()
	iam := emulator.NewIAM()
	iam.Now = func() time.Time { return now }
	iam.AddAPIKey(iamTestKey)
	other := emulator.NewIAM()
	other.AddAPIKey(iamTestKey)
	ts := httptest.NewServer(iam)
	defer ts.Close()
	ots := httptest.NewServer(other)
	defer ots.Close()
	token := func(ts *httptest.Server) string {
		_, body := iamPost(t, ts, iamForm(iamTestKey), nil)
		return iamAccessToken(t, body)
	}
	mine, foreign := token(ts), token(ots)

	if err := iam.Verify(foreign); err == nil {
		t.Error("Verify accepted another emulator's token")
	}
	if err := iam.Verify(mine[:len(mine)-4] + "AAAA"); err == nil {
		t.Error("Verify accepted a tampered signature")
	}
	if err := iam.Verify("not.a.jwt"); err == nil {
		t.Error("Verify accepted garbage")
	}
	if err := iam.Verify(mine); err != nil {
		t.Errorf("Verify(fresh token) = %v", err)
	}
	now = now.Add(3601 * time.Second)
	if err := iam.Verify(mine); err == nil {
		t.Error("Verify accepted an expired token")
	}
}
