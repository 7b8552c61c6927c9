package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokenplug/tokenplug/emulator"
)

// vgCall sends method path to srv with the bearer token and origin (both
// optional) and returns the status and body.
func vgCall(t *testing.T, srv *httptest.Server, method, path, token, origin string) (int, string) {
	t.Helper()
	status, _, body := do(t, srv, method, path, nil, func(req *http.Request) {
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
	})
	return status, string(body)
}

// vgShortLived asks the emulator for a short-lived JWT and decodes the JSON
// string it answers.
func vgShortLived(t *testing.T, srv *httptest.Server, console, aud string, secs int) string {
	t.Helper()
	q := url.Values{"aud": {aud}, "expInSec": {strconv.Itoa(secs)}}
	code, body := vgCall(t, srv, "GET", "/v1/security/jwt?"+q.Encode(), console, "")
	if code != http.StatusOK {
		t.Fatalf("GET /v1/security/jwt: %d %s", code, body)
	}
	var tok string
	if err := json.Unmarshal([]byte(body), &tok); err != nil {
		t.Fatalf("body %q is not a JSON string: %v", body, err)
	}
	return tok
}

func TestVoicegainIssuesShortLivedJWTWithRequestedAudienceAndLifetime(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := httptest.NewServer(vg)
	defer srv.Close()

	tok := vgShortLived(t, srv, vg.ConsoleJWT(), "*.example.com", 600)
	var c struct {
		AccountID string `json:"accountId"`
		ContextID string `json:"contextId"`
		jwt.RegisteredClaims
	}
	if _, err := jwt.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return vg.PublicKey(), nil }); err != nil {
		t.Fatalf("issued token does not verify with PublicKey: %v", err)
	}
	if got := c.ExpiresAt.Sub(c.IssuedAt.Time); got != 10*time.Minute {
		t.Errorf("exp - iat = %v, want 10m", got)
	}
	if len(c.Audience) != 1 || c.Audience[0] != "*.example.com" {
		t.Errorf("aud = %v, want [*.example.com]", c.Audience)
	}
	if c.AccountID != emulator.VoicegainAccountID || c.ContextID != emulator.VoicegainContextID {
		t.Errorf("account/context = %q/%q", c.AccountID, c.ContextID)
	}
	if vg.Issued() != 1 {
		t.Errorf("Issued() = %d, want 1", vg.Issued())
	}
}

func TestVoicegainAnswersPlainTextWhenAsked(t *testing.T) {
	vg := emulator.NewVoicegain()
	vg.PlainText = true
	srv := httptest.NewServer(vg)
	defer srv.Close()

	code, body := vgCall(t, srv, "GET", "/v1/security/jwt?aud=*&expInSec=60", vg.ConsoleJWT(), "")
	if code != http.StatusOK || !strings.HasPrefix(body, "eyJ") || strings.Count(body, ".") != 2 {
		t.Fatalf("got %d %q, want 200 and a bare JWT", code, body)
	}
}

func TestVoicegainRejectsBadShortLivedRequests(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := httptest.NewServer(vg)
	defer srv.Close()
	console := vg.ConsoleJWT()

	for _, tc := range []struct {
		name, query, token string
		want               int
	}{
		{"no token", "aud=a.com&expInSec=60", "", 401},
		{"not the console jwt", "aud=a.com&expInSec=60", "eyJ.eyJ.sig", 401},
		{"missing aud", "expInSec=60", console, 400},
		{"aud is a url", "aud=https%3A%2F%2Fa.com&expInSec=60", console, 400},
		{"aud wildcard in the middle", "aud=a.*.com&expInSec=60", console, 400},
		{"missing expInSec", "aud=a.com", console, 400},
		{"zero expInSec", "aud=a.com&expInSec=0", console, 400},
		{"negative expInSec", "aud=a.com&expInSec=-5", console, 400},
		{"fractional expInSec", "aud=a.com&expInSec=1.5", console, 400},
		{"expInSec over a day", "aud=a.com&expInSec=86401", console, 400},
		{"a day is fine", "aud=a.com&expInSec=86400", console, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := vgCall(t, srv, "GET", "/v1/security/jwt?"+tc.query, tc.token, ""); code != tc.want {
				t.Errorf("got %d %s, want %d", code, body, tc.want)
			}
		})
	}
}

func TestVoicegainRegenerateRevokesTheOldConsoleJWT(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := httptest.NewServer(vg)
	defer srv.Close()

	old := vg.ConsoleJWT()
	if code, _ := vgCall(t, srv, "POST", "/v1/asr/transcribe", old, ""); code != 200 {
		t.Fatalf("console jwt on protected endpoint: %d, want 200", code)
	}
	fresh := vg.RegenerateConsoleJWT()
	if fresh == old || vg.ConsoleJWT() != fresh {
		t.Fatal("RegenerateConsoleJWT did not replace the console jwt")
	}
	for _, path := range []string{"/v1/asr/transcribe", "/v1/security/jwt?aud=*&expInSec=60"} {
		method := map[bool]string{true: "POST", false: "GET"}[strings.HasPrefix(path, "/v1/asr")]
		if code, _ := vgCall(t, srv, method, path, old, ""); code != 401 {
			t.Errorf("old console jwt on %s: %d, want 401", path, code)
		}
		if code, _ := vgCall(t, srv, method, path, fresh, ""); code != 200 {
			t.Errorf("new console jwt on %s: %d, want 200", path, code)
		}
	}
}

func TestVoicegainProtectedEndpointChecksOriginAgainstAudience(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := httptest.NewServer(vg)
	defer srv.Close()

	for _, tc := range []struct {
		aud, origin string
		want        int
	}{
		{"app.example.com", "https://app.example.com", 200},
		{"app.example.com", "https://APP.example.com:8443", 200},
		{"app.example.com", "https://other.example.com", 403},
		{"app.example.com", "https://app.example.com.evil.net", 403},
		{"app.example.com", "", 403},
		{"app.example.com", "null", 403},
		{"*.example.com", "https://a.example.com", 200},
		{"*.example.com", "https://b.a.example.com", 200},
		{"*.example.com", "https://example.com", 403},
		{"*.example.com", "https://notexample.com", 403},
		{"*.example.com", "https://a.example.com.evil.net", 403},
		{"*.example.com", "", 403},
		{"*", "https://anything.test", 200},
		{"*", "", 200},
	} {
		t.Run(tc.aud+" from "+tc.origin, func(t *testing.T) {
			tok := vgShortLived(t, srv, vg.ConsoleJWT(), tc.aud, 60)
			if code, body := vgCall(t, srv, "POST", "/v1/asr/transcribe", tok, tc.origin); code != tc.want {
				t.Errorf("got %d %s, want %d", code, body, tc.want)
			}
		})
	}
}

func TestVoicegainProtectedEndpointRejectsExpiredAndForeignTokens(t *testing.T) {
	now := time.Now()
	vg := emulator.NewVoicegain()
	vg.Now = func() time.Time { return now }
	srv := httptest.NewServer(vg)
	defer srv.Close()

	tok := vgShortLived(t, srv, vg.ConsoleJWT(), "*", 60)
	if code, body := vgCall(t, srv, "GET", "/v1/asr/anything", tok, ""); code != 200 || !strings.Contains(body, `"auth":"short_lived"`) {
		t.Fatalf("fresh short-lived jwt: %d %s", code, body)
	}
	now = now.Add(61 * time.Second)
	if code, body := vgCall(t, srv, "GET", "/v1/asr/anything", tok, ""); code != 401 || !strings.Contains(body, "expired") {
		t.Errorf("expired short-lived jwt: %d %s, want 401 naming expiry", code, body)
	}
	other := emulator.NewVoicegain()
	if code, _ := vgCall(t, srv, "GET", "/v1/asr/anything", other.ConsoleJWT(), ""); code != 401 {
		t.Errorf("another emulator's console jwt: %d, want 401", code)
	}
	if code, _ := vgCall(t, srv, "GET", "/v1/asr/anything", "", ""); code != 401 {
		t.Errorf("no token: %d, want 401", code)
	}
}

func TestVoicegainAppliesFaults(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := httptest.NewServer(vg)
	defer srv.Close()

	vg.Faults.Set(emulator.Fault{Status: 503, Times: 1})
	if code, _ := vgCall(t, srv, "GET", "/v1/security/jwt?aud=*&expInSec=60", vg.ConsoleJWT(), ""); code != 503 {
		t.Errorf("with fault: %d, want 503", code)
	}
	if code, _ := vgCall(t, srv, "GET", "/v1/security/jwt?aud=*&expInSec=60", vg.ConsoleJWT(), ""); code != 200 {
		t.Errorf("after fault: %d, want 200", code)
	}
}
