package redact_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/internal/redact"
)

const secret = "s3cr3t+value/with=odd&chars"

func TestStringRedactsTheSecretAndItsEncodings(t *testing.T) {
	b64 := func(e *base64.Encoding, s string) string { return e.EncodeToString([]byte(s)) }
	jsonOf := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	tests := []struct {
		name, text string
	}{
		{"plain", "key=" + secret + "&x"},
		{"base64", "echo " + b64(base64.StdEncoding, secret)},
		{"base64 raw", "echo " + b64(base64.RawStdEncoding, secret)},
		{"base64url", "echo " + b64(base64.URLEncoding, secret)},
		{"base64url raw", "echo " + b64(base64.RawURLEncoding, secret)},
		{"hex", "key " + hex.EncodeToString([]byte(secret))},
		{"hex upper case", "KEY " + strings.ToUpper(hex.EncodeToString([]byte(secret)))},
		{"hex of a longer value", "dump " + hex.EncodeToString([]byte("client-id:"+secret+"\n"))},
		{"query escaped", "body client_secret=" + url.QueryEscape(secret)},
		{"path escaped", "/v1/" + url.PathEscape(secret)},
		{"json string", `{"k":` + jsonOf(secret+"<&>") + `}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redact.String(tt.text, secret)
			if !strings.Contains(got, redact.Mask) {
				t.Fatalf("String(%q) = %q, want the secret masked", tt.text, got)
			}
			if leaksBase64(got, secret) || leaksHex(got, secret) || strings.Contains(got, secret) {
				t.Fatalf("String(%q) = %q still holds the secret", tt.text, got)
			}
		})
	}
}

// leaksBase64 reports whether some run of base64 characters in s decodes,
// at any alignment and in either alphabet, to text holding 4 or more
// consecutive bytes of secret.
func leaksBase64(s, secret string) bool {
	return leaks(s, secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_", 4,
		base64.StdEncoding.DecodeString, base64.URLEncoding.DecodeString)
}

// leaksHex reports whether some run of hex digits in s decodes, in either
// case and at either alignment, to text holding 4 or more consecutive
// bytes of secret.
func leaksHex(s, secret string) bool {
	return leaks(s, secret, "0123456789abcdefABCDEF", 2, hex.DecodeString)
}

// leaks reports whether some run of the characters of alphabet in s,
// starting at any of its first block characters and cut to whole blocks,
// decodes with one of decoders to text holding 4 or more consecutive
// bytes of secret.
func leaks(s, secret, alphabet string, block int, decoders ...func(string) ([]byte, error)) bool {
	runs := strings.FieldsFunc(s, func(r rune) bool { return !strings.ContainsRune(alphabet, r) })
	for _, run := range runs {
		for skip := 0; skip < block && skip < len(run); skip++ {
			r := run[skip:]
			r = r[:len(r)/block*block]
			for _, decode := range decoders {
				dec, err := decode(r)
				if err != nil {
					continue
				}
				for i := 0; i+4 <= len(secret); i++ {
					if strings.Contains(string(dec), secret[i:i+4]) {
						return true
					}
				}
			}
		}
	}
	return false
}

func TestStringRedactsTheBasicPairAtEveryAlignment(t *testing.T) {
	for _, id := range []string{"", "a", "ab", "abc", "client-id", "client-id-1"} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
			header := "Authorization: Basic " + enc.EncodeToString([]byte(id+":"+secret))
			got := redact.String(header, secret)
			if leaksBase64(got, secret) {
				t.Errorf("id %q: String(%q) = %q still decodes to part of the secret", id, header, got)
			}
			// What is left either side of the mask carries at most the id
			// and a few bits of the secret.
			before, after, ok := strings.Cut(strings.TrimPrefix(got, "Authorization: Basic "), redact.Mask)
			if !ok || len(after) > 3 || len(before) > (len(id)+1)*8/6+2 {
				t.Errorf("id %q: String(%q) = %q, want only the id's characters before the mask", id, header, got)
			}
		}
	}
}

func TestStringRedactsEveryLineOfAMultiLineSecret(t *testing.T) {
	key := testPEM(t)
	lines := strings.Split(strings.TrimSpace(key), "\n")
	printed := "plugin says:\n" + strings.Join(lines, "\n  ") + "\nbye\n"
	got := redact.String(printed, key)
	for _, l := range lines {
		if strings.Contains(got, l) {
			t.Errorf("line %q survived: %q", l, got)
		}
	}
	if !strings.Contains(got, "plugin says:") || !strings.Contains(got, "bye") {
		t.Errorf("text that is not the secret was redacted: %q", got)
	}
	// A log line holding only a short line of the secret (a PEM's last
	// base64 line may be a few characters) is redacted whole.
	r := redact.New("-----BEGIN X-----\nAAAAAAAA\nQQ==\n-----END X-----\n")
	if got := r.String("  QQ==\n"); got != "  "+redact.Mask+"\n" {
		t.Errorf("short line: %q", got)
	}
	if got := r.String("QQ== is in a sentence"); got != "QQ== is in a sentence" {
		t.Errorf("a short line inside other text is not the secret: %q", got)
	}
	// The PEM as a JSON string, newlines escaped.
	b, _ := json.Marshal(key)
	if got := redact.String(string(b), key); got != `"`+redact.Mask+`"` {
		t.Errorf("json-escaped PEM: %q", got)
	}
}

func TestStringLeavesTextWithoutSecretsAlone(t *testing.T) {
	const text = "upstream returned 401: YWJj is fine; abcdef"
	tests := []struct {
		name    string
		secrets []string
		want    string
	}{
		{"no secrets", nil, text},
		{"empty secret", []string{""}, text},
		// "abc" is below MinLen: it is masked only as a whole word (see
		// TestAShortSecretIsRedactedOnlyWhereItStandsAlone), its base64
		// "YWJj" never.
		{"short secret", []string{"abc"}, text},
		{"overlapping secrets merge", []string{"abcdef", "defghi"}, strings.Replace(text, "abcdef", redact.Mask, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redact.String(text, tt.secrets...); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := redact.String("xabcdefghiy", "abcdef", "defghi"); got != "x"+redact.Mask+"y" {
		t.Errorf("overlapping secrets leave a part between two masks: %q", got)
	}
	var nilRedactor *redact.Redactor
	if got := nilRedactor.String(text); got != text {
		t.Errorf("nil Redactor changed the text: %q", got)
	}
}

func testPEM(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func BenchmarkRedactorString(b *testing.B) {
	r := redact.New(secret, "another-secret-value")
	line := strings.Repeat("a plugin log line with nothing secret in it ", 4)
	for b.Loop() {
		r.String(line)
	}
}
