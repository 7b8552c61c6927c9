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

// vgShortLived asks the emulator for a short-lived JWT, which it answers as
// text/plain as the vendor does.
func vgShortLived(t *testing.T, srv *httptest.Server, console, aud string, secs int) string {
	t.Helper()
	q := url.Values{"aud": {aud}, "expInSec": {strconv.Itoa(secs)}}
	code, body := vgCall(t, srv, "GET", "/v1/security/jwt?"+q.Encode(), console, "")
	if code != http.StatusOK {
		t.Fatalf("GET /v1/security/jwt: %d %s", code, body)
	}
	return body
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

// Voicegain answers /security/jwt with the bare JWT as text/plain.
func TestVoicegainAnswersTextPlainAsTheVendorDoes(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := httptest.NewServer(vg)
	defer srv.Close()

	status, header, body := vgAskJWT(t, srv, vg.ConsoleJWT(), "text/plain")
	if ct := header.Get("Content-Type"); status != http.StatusOK || !strings.HasPrefix(ct, "text/plain") ||
		!strings.HasPrefix(body, "eyJ") || strings.Count(body, ".") != 2 {
		t.Fatalf("got %d %s %q, want 200 and a bare JWT as text/plain", status, ct, body)
	}
}

// text/plain is the only type Voicegain's API declares for
// /security/jwt (voicegain/python-sdk security_api.py): a client whose
// Accept header refuses it gets 406 and no JWT, after its console JWT is
// checked.
func TestVoicegainRefusesAnAcceptHeaderWithoutTextPlain(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := httptest.NewServer(vg)
	defer srv.Close()

	// An empty Accept is no Accept header: it admits anything. Where
	// ranges overlap, the most specific decides.
	byAnswer := map[int][]string{
		200: {"", "text/plain", "TEXT/Plain; charset=utf-8", "text/*", "*/*",
			"application/json, text/plain;q=0.5", "text/*;q=0, text/plain"},
		406: {"application/json", "text/html", "text/plain;q=0", "text/plain;q=0, */*",
			"*/*;q=0", "text/plain;q=x", "plain"},
	}
	issued := int64(0)
	for want, accepts := range byAnswer {
		for _, accept := range accepts {
			code, header, body := vgAskJWT(t, srv, vg.ConsoleJWT(), accept)
			if code != want {
				t.Errorf("Accept %q: got %d %s, want %d", accept, code, body, want)
			}
			if code == 200 {
				issued++
			}
			if code == 406 && (!strings.Contains(body, "text/plain") || strings.Contains(body, "eyJ") || header.Get("Content-Type") != "application/json") {
				t.Errorf("Accept %q: 406 answer %s %q, want a JSON error naming text/plain and no JWT", accept, header.Get("Content-Type"), body)
			}
		}
	}
	if vg.Issued() != issued {
		t.Errorf("Issued() = %d, want %d: only the 200 answers issue", vg.Issued(), issued)
	}
	if code, _, body := vgAskJWT(t, srv, "", "application/json"); code != 401 {
		t.Errorf("no console JWT and Accept application/json: %d %s, want 401 (the console JWT is checked first)", code, body)
	}
}

// vgAskJWT asks for a short-lived JWT with console (if not empty) and
// accept as the Accept header (if not empty).
func vgAskJWT(t *testing.T, srv *httptest.Server, console, accept string) (int, http.Header, string) {
	t.Helper()
	code, header, body := do(t, srv, "GET", "/v1/security/jwt?aud=*&expInSec=60", nil, func(req *http.Request) {
		if console != "" {
			req.Header.Set("Authorization", "Bearer "+console)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
	})
	return code, header, string(body)
}

func TestVoicegainAnswersAJSONStringWhenAsked(t *testing.T) {
	vg := emulator.NewVoicegain()
	vg.JSON = true
	srv := httptest.NewServer(vg)
	defer srv.Close()

	code, body := vgCall(t, srv, "GET", "/v1/security/jwt?aud=*&expInSec=60", vg.ConsoleJWT(), "")
	var tok string
	if err := json.Unmarshal([]byte(body), &tok); code != http.StatusOK || err != nil || strings.Count(tok, ".") != 2 {
		t.Fatalf("got %d %q (%v), want 200 and a JSON string", code, body, err)
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
		// voicegain/python-sdk security_api.py: expInSec from 1 to 3600.
		{"expInSec over an hour", "aud=a.com&expInSec=3601", console, 400},
		{"expInSec of a day", "aud=a.com&expInSec=86400", console, 400},
		{"an hour is fine", "aud=a.com&expInSec=3600", console, 200},
		{"a second is fine", "aud=a.com&expInSec=1", console, 200},
		// Voicegain's own example uses localhost:8088; aud is at most 128.
		{"aud with a port", "aud=localhost:8088&expInSec=60", console, 200},
		{"wildcard aud with a port", "aud=*.example.com:8443&expInSec=60", console, 200},
		{"aud with port 0", "aud=localhost:0&expInSec=60", console, 400},
		{"aud with an empty port", "aud=localhost:&expInSec=60", console, 400},
		{"aud with a port too big", "aud=localhost:65536&expInSec=60", console, 400},
		{"aud of 128 characters", "aud=" + strings.Repeat("a", 60) + "." + strings.Repeat("b", 63) + ".com&expInSec=60", console, 200},
		{"aud over 128 characters", "aud=" + strings.Repeat("a", 61) + "." + strings.Repeat("b", 63) + ".com&expInSec=60", console, 400},
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

// Since Voicegain release 1.91.0 a context may have several console JWTs at
// once; deleting or regenerating one leaves the others valid.
func TestVoicegainAcceptsSeveralConsoleJWTs(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := httptest.NewServer(vg)
	defer srv.Close()

	first := vg.ConsoleJWT()
	second := vg.AddConsoleJWT()
	if second == first || vg.ConsoleJWT() != first {
		t.Fatal("AddConsoleJWT replaced the current console jwt")
	}
	for _, tok := range []string{first, second} {
		if code, body := vgCall(t, srv, "GET", "/v1/security/jwt?aud=*&expInSec=60", tok, ""); code != 200 {
			t.Errorf("one of two console jwts: %d %s, want 200", code, body)
		}
	}
	third := vg.RegenerateConsoleJWT() // replaces first
	if !vg.RevokeConsoleJWT(second) || vg.RevokeConsoleJWT(second) {
		t.Error("RevokeConsoleJWT did not report the valid jwt once")
	}
	for tok, want := range map[string]int{first: 401, second: 401, third: 200} {
		if code, _ := vgCall(t, srv, "POST", "/v1/asr/transcribe", tok, ""); code != want {
			t.Errorf("console jwt: %d, want %d", code, want)
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
		// Without an Origin (a server, not a browser) aud is not checked.
		{"app.example.com", "", 200},
		{"app.example.com", "null", 403},
		{"*.example.com", "https://a.example.com", 200},
		{"*.example.com", "https://b.a.example.com", 200},
		{"*.example.com", "https://example.com", 403},
		{"*.example.com", "https://notexample.com", 403},
		{"*.example.com", "https://a.example.com.evil.net", 403},
		{"*.example.com", "", 200},
		{"localhost:8088", "http://localhost:8088", 200},
		{"localhost:8088", "http://localhost:8089", 403},
		{"localhost:8088", "http://localhost", 403},
		{"app.example.com:443", "https://app.example.com", 200},
		{"app.example.com:443", "http://app.example.com", 403},
		{"*.example.com:8443", "https://a.example.com:8443", 200},
		{"*.example.com:8443", "https://a.example.com", 403},
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
