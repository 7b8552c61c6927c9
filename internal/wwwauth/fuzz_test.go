package wwwauth

import (
	"strings"
	"testing"
)

// FuzzParse: any header, however hostile, is parsed without panic, and a
// challenge it yields holds only values the rules allow.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`Bearer realm="example", error="insufficient_scope", scope="read write"`,
		`Basic YWxhZGRpbjpvcGVuc2VzYW1l==, Bearer error="invalid_token"`,
		`Bearer error="insufficient_claims", claims="` + entraClaims + `"`,
		`Bearer error="insufficient_user_authentication", acr_values="a b", max_age=5`,
		`Bearer error="a\"b`, `Bearer ,,, realm=x`, `Bearer error=`, `bearer scope="a", scope="a"`,
		"Bearer error=\"\x00\"", `Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`,
	} {
		f.Add(s, "")
	}
	f.Add(`Basic realm="x"`, `Bearer error="insufficient_scope", scope="a"`)
	f.Fuzz(func(t *testing.T, a, b string) {
		c, ok := Parse([]string{a, b})
		if !ok {
			return
		}
		if len(a)+len(b) > MaxBytes {
			t.Fatalf("a challenge from %d bytes, more than MaxBytes", len(a)+len(b))
		}
		for _, v := range []string{c.Error, c.Scope, c.ACRValues, c.MaxAge} {
			if !nqschars(v) {
				t.Fatalf("value %q has a character the rules forbid", v)
			}
		}
		if c.Claims != "" && !strings.HasPrefix(c.Claims, "{") {
			t.Fatalf("claims %q is not a JSON object", c.Claims)
		}
		if c.MaxAge != "" && !digits(c.MaxAge) {
			t.Fatalf("max_age %q is not digits", c.MaxAge)
		}
	})
}
