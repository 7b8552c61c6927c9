package plugin

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

func TestRetryAfterSurvivesTheWireEvenWithAnInvalidUTF8Body(t *testing.T) {
	resp := &http.Response{StatusCode: 429, Status: "429 Too Many Requests", Header: http.Header{"Retry-After": {"5"}}}
	err := CheckStatus(resp, []byte("bad \xff\xfe body"))
	back := fromStatus(toStatus(err))
	if !errors.Is(back, ErrRateLimited) || RetryAfterOf(back) != 5*time.Second {
		t.Fatalf("after the gRPC hop: %v (retry-after %v), want rate limited with 5s", back, RetryAfterOf(back))
	}
}

func TestCheckStatusClassifiesEachStatus(t *testing.T) {
	tests := []struct {
		code  int
		kind  Kind
		retry time.Duration
		after string
	}{
		{400, KindPermanent, 0, ""},
		{401, KindPermanent, 0, ""},
		{403, KindPermanent, 0, ""},
		{404, KindPermanent, 0, ""}, // a wrong token URL will not fix itself
		{408, KindTemporary, 0, ""},
		{429, KindRateLimited, 30 * time.Second, "30"},
		{429, KindRateLimited, 0, ""},
		{429, KindRateLimited, 0, "soon"},
		{500, KindTemporary, 0, ""},
		{502, KindTemporary, 0, ""},
		{503, KindTemporary, 0, "120"}, // Retry-After only counts on a 429
	}
	for _, tt := range tests {
		resp := &http.Response{StatusCode: tt.code, Status: fmt.Sprintf("%d %s", tt.code, http.StatusText(tt.code)), Header: http.Header{}}
		if tt.after != "" {
			resp.Header.Set("Retry-After", tt.after)
		}
		err := CheckStatus(resp, []byte(`{"error":"nope"}`))
		if KindOf(err) != tt.kind || RetryAfterOf(err) != tt.retry {
			t.Errorf("%d (Retry-After %q): kind %v retry %v, want %v %v", tt.code, tt.after, KindOf(err), RetryAfterOf(err), tt.kind, tt.retry)
		}
		if want := "upstream returned " + resp.Status + `: {"error":"nope"}`; err.Error() != want {
			t.Errorf("%d: message %q, want %q", tt.code, err.Error(), want)
		}
	}
	for _, code := range []int{200, 201, 204} {
		if err := CheckStatus(&http.Response{StatusCode: code}, nil); err != nil {
			t.Errorf("%d: %v", code, err)
		}
	}
}

func TestRetryAfterAsHTTPDate(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	date := now.Add(90 * time.Second).Format(http.TimeFormat)
	if got := ParseRetryAfter(date, now); got != 90*time.Second {
		t.Fatalf("ParseRetryAfter(%q) = %v, want 90s", date, got)
	}
	for _, v := range []string{"", "-5", "tomorrow", now.Add(-time.Minute).Format(http.TimeFormat)} {
		if got := ParseRetryAfter(v, now); got != 0 {
			t.Errorf("ParseRetryAfter(%q) = %v, want 0", v, got)
		}
	}
	if got := ParseRetryAfter(" 7 ", now); got != 7*time.Second {
		t.Errorf("seconds with spaces: %v", got)
	}

	// CheckStatus reads the date against the real clock: an hour ahead
	// must come out as about an hour (HTTP dates have whole seconds).
	resp := &http.Response{StatusCode: 429, Status: "429 Too Many Requests",
		Header: http.Header{"Retry-After": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}}
	if d := RetryAfterOf(CheckStatus(resp, nil)); d <= 58*time.Minute || d > time.Hour {
		t.Fatalf("retry-after from an HTTP date an hour ahead: %v", d)
	}
}

func TestReadBodyIsBounded(t *testing.T) {
	b, err := ReadBody(strings.NewReader("12345"), 5)
	if err != nil || string(b) != "12345" {
		t.Fatalf("at the limit: %q, %v", b, err)
	}
	if _, err := ReadBody(strings.NewReader("123456"), 5); KindOf(err) != KindTemporary || !strings.Contains(err.Error(), "exceeds 5 bytes") {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := ReadBody(iotest.ErrReader(errors.New("reset")), 5); !errors.Is(err, ErrTemporary) {
		t.Fatalf("read error: %v", err)
	}
}

func TestDo(t *testing.T) {
	const secret = "sk-live-abcdef"
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"access_token":"t"}`) })
	mux.HandleFunc("/denied", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "invalid key "+secret, http.StatusUnauthorized)
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, _ *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), MaxBodySize+1))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(path string) ([]byte, *http.Response, error) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		return Do(srv.Client(), req, secret)
	}

	if body, resp, err := get("/ok"); err != nil || resp.StatusCode != 200 || string(body) != `{"access_token":"t"}` {
		t.Fatalf("ok: %q %v", body, err)
	}
	_, resp, err := get("/denied")
	if !errors.Is(err, ErrPermanent) || resp.StatusCode != 401 {
		t.Fatalf("denied: %v", err)
	}
	if strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "invalid key [REDACTED]") {
		t.Fatalf("denied: the secret is not redacted: %v", err)
	}
	if _, _, err := get("/huge"); !errors.Is(err, ErrTemporary) {
		t.Fatalf("huge: %v", err)
	}

	srv.Close() // nothing listens any more: a network error
	if _, resp, err := get("/ok"); !errors.Is(err, ErrTemporary) || resp != nil {
		t.Fatalf("closed server: %v, %v", resp, err)
	}
}

func TestSnippetAndRedact(t *testing.T) {
	if got := Redact("key=abc&other=abc&x", "abc", ""); got != "key=[REDACTED]&other=[REDACTED]&x" {
		t.Fatalf("Redact: %q", got)
	}
	if got := Snippet([]byte("  line one\n\tline two  "), "one"); got != "line [REDACTED] line two" {
		t.Fatalf("Snippet joins lines and redacts: %q", got)
	}
	long := Snippet([]byte(strings.Repeat("é", 300)))
	if !utf8.ValidString(long) || !strings.HasSuffix(long, "...") || len(long) > snippetSize+len("...") {
		t.Fatalf("long snippet: %d bytes, valid %v", len(long), utf8.ValidString(long))
	}
	if got := Snippet([]byte("a\xffb")); got != "a\uFFFDb" {
		t.Fatalf("invalid UTF-8: %q", got)
	}
	// A secret cut in half by the bound must not leak its first half.
	body := strings.Repeat("x", snippetSize-4) + "SECRETVALUE"
	if got := Snippet([]byte(body), "SECRETVALUE"); strings.Contains(got, "SECR") {
		t.Fatalf("a secret across the cut leaked: %q", got)
	}
}

func TestJWTExpiry(t *testing.T) {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(exp)}).SignedString([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := JWTExpiry(signed); !ok || !got.Equal(exp) {
		t.Fatalf("JWTExpiry = %v, %v; want %v", got, ok, exp)
	}
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{Subject: "s"}).SignedString([]byte("k"))
	for _, tok := range []string{noExp, "opaque-token", "a.b.c", ""} {
		if _, ok := JWTExpiry(tok); ok {
			t.Errorf("JWTExpiry(%q) ok", tok)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	type resp struct {
		Token     string `json:"access_token"`
		ExpiresIn int    `json:"expires_in"`
	}
	var r resp
	if err := DecodeJSON([]byte(`{"access_token":"t","expires_in":3600}`), &r); err != nil || r.Token != "t" || r.ExpiresIn != 3600 {
		t.Fatalf("%+v, %v", r, err)
	}
	tests := map[string]string{
		"":                             "empty",
		"<html>502 Bad Gateway</html>": "invalid syntax at byte 1 of 28",
		`{"access_token":"secret-tok`:  "truncated",
		`{"access_token":"secret-tok","expires_in":"soon"}`: `string where int was expected (field "expires_in")`,
		`{"access_token":12345678}`:                         `number where string was expected (field "access_token")`,
	}
	for body, want := range tests {
		err := DecodeJSON([]byte(body), &resp{})
		if !errors.Is(err, ErrTemporary) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want a temporary error containing %q", body, err, want)
		}
		if err != nil && (strings.Contains(err.Error(), "secret-tok") || strings.Contains(err.Error(), "12345678")) {
			t.Errorf("%q: the error quotes the body: %v", body, err)
		}
	}
}

// An upstream writes the status line's reason phrase and the body; Go's
// client passes both through as they came. Neither may put a terminal
// escape, a line break or invalid UTF-8 in the error (which reaches a
// terminal, and must survive the gRPC hop with its retry-after), nor
// make it long.
func TestCheckStatusQuotesNoControlCharactersOrInvalidUTF8FromTheUpstream(t *testing.T) {
	resp := &http.Response{StatusCode: 429, Status: "429 \x1b[2J\x1b]0;owned\a\xff\xfe " + strings.Repeat("slow ", 400),
		Header: http.Header{"Retry-After": {"5"}}}
	err := CheckStatus(resp, []byte("body \x1b[31mred\x1b[0m \r\x08 done"))
	msg := err.Error()
	if strings.ContainsFunc(msg, unicode.IsControl) || !utf8.ValidString(msg) || len(msg) > 600 {
		t.Errorf("message %q (%d bytes): want printable valid UTF-8 of bounded length", msg, len(msg))
	}
	if !strings.HasPrefix(msg, "upstream returned 429 ") || !strings.Contains(msg, "red") {
		t.Errorf("message %q: want the status and the body's words", msg)
	}
	back := fromStatus(toStatus(err))
	if !errors.Is(back, ErrRateLimited) || RetryAfterOf(back) != 5*time.Second {
		t.Fatalf("after the gRPC hop: %v (retry-after %v), want rate limited with 5s", back, RetryAfterOf(back))
	}
}
