package oauth2

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

var received = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func TestTheExpiryComesFromExpiresInThenTheJWTThenTheDefault(t *testing.T) {
	jwt := plugintest.UnsignedJWT(`{"iat":1000,"exp":1600}`)
	for _, tt := range []struct {
		name, body string
		want       time.Duration
	}{
		{"expires_in", `{"access_token":"a","token_type":"Bearer","expires_in":120}`, 120 * time.Second},
		{"expires_in as a string (Azure AD v1)", `{"access_token":"a","token_type":"bearer","expires_in":"3599"}`, 3599 * time.Second},
		{"expires_in over a JWT's exp", `{"access_token":"` + jwt + `","expires_in":30}`, 30 * time.Second},
		{"the JWT's exp - iat", `{"access_token":"` + jwt + `","token_type":"BEARER"}`, 600 * time.Second},
		{"expires_in null", `{"access_token":"` + jwt + `","expires_in":null}`, 600 * time.Second},
		{"neither: the documented default", `{"access_token":"opaque"}`, DefaultLifetime},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := parseTokenResponse([]byte(tt.body), received, DefaultLifetime, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := tok.Expiry.Sub(received); got != tt.want || tok.TokenType != "Bearer" {
				t.Errorf("lifetime %v type %q, want %v Bearer", got, tok.TokenType, tt.want)
			}
		})
	}
}

// RFC 6749 §5.2's error classes, as errorFor sees them.
func TestEachRFC6749ErrorCodeHasItsClass(t *testing.T) {
	for _, tt := range []struct {
		code   string
		status int
		want   error
	}{
		{"invalid_client", 401, plugin.ErrPermanent},
		{"invalid_grant", 400, plugin.ErrPermanent},
		{"unauthorized_client", 400, plugin.ErrPermanent},
		{"invalid_scope", 400, plugin.ErrPermanent},
		{"unsupported_grant_type", 400, plugin.ErrPermanent},
		{"invalid_request", 400, plugin.ErrPermanent},
		{"invalid_target", 400, plugin.ErrPermanent},
		{"temporarily_unavailable", 400, plugin.ErrTemporary},
		{"server_error", 400, plugin.ErrTemporary},
		{"invalid_grant", 502, plugin.ErrTemporary},
		{"slow_down", 400, plugin.ErrRateLimited},
		{"invalid_request", 429, plugin.ErrRateLimited},
	} {
		err := errorFor(oauthError{Code: tt.code, Description: "why"}, tt.status, 3*time.Second, nil)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.code+": why") {
			t.Errorf("%s in a %d: %v (%v), want %v naming the code", tt.code, tt.status, err, plugin.KindOf(err), tt.want)
		}
		if errors.Is(err, plugin.ErrRateLimited) && plugin.RetryAfterOf(err) != 3*time.Second {
			t.Errorf("%s: retry-after %v", tt.code, plugin.RetryAfterOf(err))
		}
	}
}

func TestAnErrorDescriptionIsRedactedStrippedAndBounded(t *testing.T) {
	const secret = "hunter2-client-secret"
	desc := "bad secret " + secret + "\x1b[31m red \u202e evil\n" + strings.Repeat("x", 500)
	msg := errorFor(oauthError{Code: "invalid_client", Description: desc}, 401, 0, []string{secret}).Error()
	if strings.Contains(msg, "hunter2") || strings.ContainsAny(msg, "\x1b\u202e\n") || len(msg) > 300 {
		t.Errorf("message %q", msg)
	}
	if m := errorFor(oauthError{Code: "bad\"code\x00"}, 400, 0, nil).Error(); strings.ContainsAny(m, "\"\x00") {
		t.Errorf("message %q quotes a code that is not §5.2 text", m)
	}
	if m := errorFor(oauthError{Code: secret}, 400, 0, []string{secret}).Error(); strings.Contains(m, "hunter2") {
		t.Errorf("message %q quotes a secret as the code", m)
	}
}

// FuzzParseTokenResponse: whatever a server sends, the parser neither
// panics nor quotes the access token, and a token it accepts is sendable.
func FuzzParseTokenResponse(f *testing.F) {
	for _, s := range []string{okBody, `{"access_token":"a","expires_in":"60"}`, `{"access_token":"a","token_type":"DPoP"}`,
		`{"error":"invalid_grant","error_description":"sekret-value"}`, `{"access_token":"a\u0000"}`, `{"access_token":"a","expires_in":1e400}`, `[]`, `{"expires_in":-1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		tok, err := parseTokenResponse(body, received, DefaultLifetime, []string{"sekret-value"})
		if err != nil {
			if !utf8.ValidString(err.Error()) || strings.Contains(err.Error(), "sekret-value") {
				t.Errorf("error %q is not UTF-8 or quotes a secret", err)
			}
			return
		}
		if tok.AccessToken == "" || !headerSafe(tok.AccessToken) || !tok.Expiry.After(received) || tok.TokenType != "Bearer" {
			t.Errorf("accepted %+v", tok)
		}
	})
}

// FuzzParseErrorResponse: a §5.2 answer becomes a bounded, printable
// message, whatever its code and description hold.
func FuzzParseErrorResponse(f *testing.F) {
	for _, s := range []string{`{"error":"invalid_client","error_description":"no"}`, `{"error":"x\u001b[2J"}`, `{"error":""}`, `<html>`, `{"error":1}`} {
		f.Add([]byte(s), 400)
	}
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		e, ok := parseErrorResponse(body)
		if !ok {
			return
		}
		msg := errorFor(e, status, 0, []string{"sekret-value"}).Error()
		if len(msg) > 512 || !utf8.ValidString(msg) || strings.Contains(msg, "sekret-value") {
			t.Errorf("message %q", msg)
		}
		for _, r := range msg {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Errorf("message %q holds control or format character %U", msg, r)
			}
		}
	})
}

// The reason phrase of a status line is the server's text, passed on by
// net/http as sent: the error rebuilds the line from the code, so a
// terminal escape or invalid UTF-8 in it never reaches a message.
func TestTheErrorNamesTheStatusByItsCodeNotTheServersReasonPhrase(t *testing.T) {
	msg := errorFor(oauthError{Code: "invalid_client"}, 401, 0, nil).Error()
	if !strings.Contains(msg, "401 Unauthorized") || strings.ContainsAny(msg, "\x1b\a") || !utf8.ValidString(msg) {
		t.Errorf("errorFor = %q, want the status as 401 Unauthorized", msg)
	}
}
