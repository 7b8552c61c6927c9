package redact_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tokenplug/tokenplug/internal/redact"
)

// encoders are the forms in which an upstream or a library may print a
// secret; json is only for valid UTF-8 (encoding/json replaces the rest).
var encoders = []struct {
	name string
	json bool
	enc  func(string) string
}{
	{"plain", false, func(s string) string { return s }},
	{"base64", false, func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }},
	{"base64url raw", false, func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }},
	{"hex upper", false, func(s string) string { return strings.ToUpper(hex.EncodeToString([]byte(s))) }},
	{"query", false, url.QueryEscape},
	{"path", false, url.PathEscape},
	{"percent lower", false, func(s string) string { return percentEscape(s, false) }},
	{"percent mixed", false, func(s string) string { return percentEscape(s, true) }},
	{"go json", true, func(s string) string { b, _ := json.Marshal(s); return string(b) }},
	{"php json", true, func(s string) string { b, _ := json.Marshal(s); return strings.ReplaceAll(string(b), "/", `\/`) }},
	{"gson", true, func(s string) string { b, _ := json.Marshal(s); return gsonEscape(string(b)) }},
	{"python ascii", true, func(s string) string { b, _ := json.Marshal(s); return asciiEscape(string(b), false) }},
}

// FuzzString checks that a secret of MinLen bytes or more, printed in any
// of encoders' forms between other text, never survives, and that a short
// secret standing as a word is masked.
func FuzzString(f *testing.F) {
	for i := range encoders {
		f.Add("s3cr3t/v'alue=<&>-x", "upstream said", "and stopped", uint8(i))
		f.Add("geheimnis-äöü-😀", `{"k":`, `}`, uint8(i))
		f.Add("k", "apikey", "token", uint8(i))
	}
	f.Fuzz(func(t *testing.T, secret, before, after string, how uint8) {
		e := encoders[int(how)%len(encoders)]
		if secret == "" || strings.Contains(secret, "REDACTED") || e.json && !utf8.ValidString(secret) {
			return
		}
		if redact.TooShort(secret) {
			text := before + " " + secret + " " + after
			if got := redact.String(text, secret); strings.Contains(got, " "+secret+" ") {
				t.Fatalf("String(%q, %q) = %q: the short secret standing alone survived", text, secret, got)
			}
			return
		}
		enc := e.enc(secret)
		text := before + " " + enc + " " + after
		if got := redact.String(text, secret); strings.Contains(got, enc) {
			t.Fatalf("%s: String(%q, %q) = %q: the encoded secret survived", e.name, text, secret, got)
		}
	})
}
