package redact_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tokenplug/tokenplug/internal/redact"
)

// gsonEscape escapes s as Gson and Go's HTML-safe encoder do: every
// character of <>&=' as \u00XX.
func gsonEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`<>&='`, r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// asciiEscape escapes s as Python's json.dumps(ensure_ascii=True) does:
// every non-ASCII character as \uXXXX (a surrogate pair beyond the BMP).
func asciiEscape(s string, upper bool) string {
	var b strings.Builder
	format := `\u%04x`
	if upper {
		format = `\u%04X`
	}
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&b, format+format, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(&b, format, r)
		}
	}
	return b.String()
}

// percentEscape percent-encodes every byte of s that is not a letter or
// digit, in lower case hex, or alternating lower and upper case.
func percentEscape(s string, mixed bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
			continue
		}
		h := fmt.Sprintf("%%%02x", c)
		if mixed && i%2 == 0 {
			h = strings.ToUpper(h)
		}
		b.WriteString(h)
	}
	return b.String()
}

func TestStringRedactsOtherEncodersEscapesOfTheSecret(t *testing.T) {
	const odd = "s3cr3t/v'alue=<&>-x"
	const umlaut = "geheimnis-äöü-schlüssel-😀"
	tests := []struct {
		name, secret, text string
	}{
		{"php json_encode escapes slashes", secret, `{"key":"` + strings.ReplaceAll(secret, "/", `\/`) + `"}`},
		{"gson escapes = and '", odd, `{"key":"` + gsonEscape(odd) + `"}`},
		{"go html-safe json", odd, `{"key":"` + strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`).Replace(odd) + `"}`},
		{"python ensure_ascii", umlaut, `{"key": "` + asciiEscape(umlaut, false) + `"}`},
		{"ensure_ascii in upper case hex", umlaut, `{"key": "` + asciiEscape(umlaut, true) + `"}`},
		{"lower-case percent-encoding", secret, "client_secret=" + percentEscape(secret, false) + "&x=1"},
		{"mixed-case percent-encoding", odd, "/v1/" + percentEscape(odd, true) + "/x"},
		{"percent-encoded utf-8", umlaut, "q=" + percentEscape(umlaut, false)},
		{"php escapes in a base64 secret's slashes", "Zm9v/YmFy/YmF6+cXV4", `"` + strings.ReplaceAll("Zm9v/YmFy/YmF6+cXV4", "/", `\/`) + `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redact.String(tt.text, tt.secret)
			if !strings.Contains(got, redact.Mask) || strings.Count(got, redact.Mask) != 1 {
				t.Fatalf("String(%q) = %q, want the secret masked once", tt.text, got)
			}
			at := strings.Index(got, redact.Mask)
			if !strings.HasPrefix(tt.text, got[:at]) || !strings.HasSuffix(tt.text, got[at+len(redact.Mask):]) {
				t.Fatalf("String(%q) = %q: the text around the secret changed", tt.text, got)
			}
		})
	}
}

func TestAShortSecretIsRedactedOnlyWhereItStandsAlone(t *testing.T) {
	tests := []struct {
		name, secret, text, want string
	}{
		{"inside a word it stays", "k", "tokenplug: bad key", "tokenplug: bad key"},
		{"a whole word is masked", "k", "apikey=k rejected", "apikey=" + redact.Mask + " rejected"},
		{"at the ends of the text", "k", "k", redact.Mask},
		{"in quotes", "abc", `key "abc" rejected`, `key "` + redact.Mask + `" rejected`},
		{"next to a digit it stays", "abc", "abc1 abc", "abc1 " + redact.Mask},
		{"next to a non-ASCII letter it stays", "abc", "äabc abc", "äabc " + redact.Mask},
		{"its encodings are not masked", "abc", "YWJj 616263 abc", "YWJj 616263 " + redact.Mask},
		{"escaped forms are not decoded for it", "a/b", `a\/b %61%2fb a/b`, `a\/b %61%2fb ` + redact.Mask},
		{"from MinLen on it is masked anywhere", "kkkkkk", "xkkkkkkx", "x" + redact.Mask + "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redact.String(tt.text, tt.secret); got != tt.want {
				t.Errorf("String(%q, %q) = %q, want %q", tt.text, tt.secret, got, tt.want)
			}
		})
	}
}

func TestTooShortReportsSecretsBelowMinLen(t *testing.T) {
	for s, want := range map[string]bool{"": false, "k": true, "12345": true, "123456": false} {
		if got := redact.TooShort(s); got != want {
			t.Errorf("TooShort(%q) = %v, want %v", s, got, want)
		}
	}
}

func BenchmarkRedactorStringEscapedText(b *testing.B) {
	r := redact.New(secret, "another-secret-value")
	line := strings.Repeat(`{"msg":"a plugin log line with \/slashes\/ and %2f nothing secret"} `, 2)
	for b.Loop() {
		r.String(line)
	}
}
