package wwwauth

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug"
)

// entraClaims is the claims challenge of Entra ID's CAE documentation,
// base64 with padding as Entra sends it.
const entraClaimsJSON = `{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}`

var entraClaims = base64.StdEncoding.EncodeToString([]byte(entraClaimsJSON))

func TestParseReadsTheBearerChallenge(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		want   tokenplug.Challenge
	}{
		{"RFC 6750 §3 insufficient_scope", []string{`Bearer realm="example", error="insufficient_scope", scope="read write"`},
			tokenplug.Challenge{Error: "insufficient_scope", Scope: "read write"}},
		{"scheme and parameter names are case-insensitive (RFC 9110 §11.1)", []string{`bEaReR ERROR="invalid_token"`},
			tokenplug.Challenge{Error: "invalid_token"}},
		{"token values and BWS around the equals sign (RFC 9110 §11.2)", []string{`Bearer error = insufficient_scope ,scope= read`},
			tokenplug.Challenge{Error: "insufficient_scope", Scope: "read"}},
		{"quoted-pairs are resolved (RFC 9110 §5.6.4)", []string{`Bearer realm="a\"b\\c", error="in\sufficient_scope"`},
			tokenplug.Challenge{Error: "insufficient_scope"}},
		{"the Bearer challenge after another with a token68 (RFC 9110 §11.6.1)", []string{`Basic YWxhZGRpbjpvcGVuc2VzYW1l==, Bearer error="insufficient_scope", scope="a"`},
			tokenplug.Challenge{Error: "insufficient_scope", Scope: "a"}},
		{"the Bearer challenge before another", []string{`Bearer error="insufficient_scope", scope="a", Digest realm="x", nonce="y"`},
			tokenplug.Challenge{Error: "insufficient_scope", Scope: "a"}},
		{"several fields: the first Bearer challenge", []string{`Basic realm="x"`, `Bearer error="invalid_token"`, `Bearer error="insufficient_scope"`},
			tokenplug.Challenge{Error: "invalid_token"}},
		{"a broken field is skipped, the next one read", []string{`Bearer error="insufficient_scope`, `Bearer error="invalid_token"`},
			tokenplug.Challenge{Error: "invalid_token"}},
		{"Entra claims, base64 with padding", []string{`Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="` + entraClaims + `"`},
			tokenplug.Challenge{Error: "insufficient_claims", Claims: entraClaimsJSON}},
		{"claims in base64url without padding", []string{`Bearer error="insufficient_claims", claims="` + base64.RawURLEncoding.EncodeToString([]byte(entraClaimsJSON)) + `"`},
			tokenplug.Challenge{Error: "insufficient_claims", Claims: entraClaimsJSON}},
		{"claims as raw JSON", []string{`Bearer error="insufficient_claims", claims="{\"id_token\":{\"acr\":{\"essential\":true}}}"`},
			tokenplug.Challenge{Error: "insufficient_claims", Claims: `{"id_token":{"acr":{"essential":true}}}`}},
		{"RFC 9470 §3 step-up", []string{`Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="myACR", max_age=5`},
			tokenplug.Challenge{Error: "insufficient_user_authentication", ACRValues: "myACR", MaxAge: "5"}},
		{"a bare Bearer challenge", []string{`Bearer`}, tokenplug.Challenge{}},
		{"empty list elements (RFC 9110 §5.6.1)", []string{`, ,Bearer ,, error="invalid_token",`}, tokenplug.Challenge{Error: "invalid_token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Parse(tt.fields)
			if !ok || got != tt.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tt.fields, got, ok, tt.want)
			}
		})
	}
}

func TestParseFindsNoChallengeInWhatIsNotAValidBearerChallenge(t *testing.T) {
	tests := []struct{ name, field string }{
		{"no Bearer scheme", `Basic realm="x", Digest nonce="y"`},
		{"an unbalanced quote", `Bearer error="insufficient_scope, scope="a"`},
		{"a quote opened at the very end", `Bearer error="`},
		{"a trailing backslash in a quoted-string", `Bearer error="a\`},
		{"a control character in a quoted-string", "Bearer error=\"a\x01b\""},
		{"a NUL in a quoted-string", "Bearer error=\"a\x00b\""},
		{"a duplicated parameter (RFC 6750 §3)", `Bearer scope="a", scope="b"`},
		{"a parameter without a value", `Bearer realm="x", error=`},
		{"no space after the scheme", `Bearer"x"`},
		{"claims that are not base64 of a JSON object", `Bearer error="insufficient_claims", claims="bm90IGpzb24="`},
		{"claims that are not base64 at all", `Bearer claims="%%%"`},
		{"max_age that is not digits", `Bearer error="insufficient_user_authentication", max_age="-1"`},
		{"max_age that is absurdly long", `Bearer max_age=12345678901`},
		{"a scope with a double space", `Bearer error="insufficient_scope", scope="a  b"`},
		{"a scope with a non-ASCII byte", "Bearer error=\"insufficient_scope\", scope=\"a\xffb\""},
		{"an empty scope", `Bearer error="insufficient_scope", scope=""`},
		{"a stray character", `Bearer error="x" ; scope="a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := Parse([]string{tt.field}); ok {
				t.Fatalf("Parse(%q) = %+v, want no challenge", tt.field, got)
			}
		})
	}
}

func TestParseIgnoresHostileHeaders(t *testing.T) {
	many := "Bearer " + strings.Repeat(`p="v", `, MaxItems) + `error="insufficient_scope"`
	tests := []struct {
		name   string
		fields []string
	}{
		{"thousands of parameters", []string{"Bearer " + strings.Repeat(`realm="x", `, 5000) + `error="insufficient_scope"`}},
		{"one item more than MaxItems", []string{many}},
		{"more than MaxBytes in all fields", []string{`Bearer error="insufficient_scope", realm="` + strings.Repeat("a", MaxBytes/2) + `"`, strings.Repeat("b", MaxBytes/2)}},
		{"a huge unterminated quoted-string", []string{`Bearer error="` + strings.Repeat(`\"`, MaxBytes/4)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := Parse(tt.fields); ok {
				t.Fatalf("Parse = %+v, want no challenge", got)
			}
		})
	}
}

func TestAnswerableIsTheChallengesAskingForAnotherToken(t *testing.T) {
	tests := []struct {
		c    tokenplug.Challenge
		want bool
	}{
		{tokenplug.Challenge{Error: InsufficientScope, Scope: "a"}, true},
		{tokenplug.Challenge{Error: InsufficientClaims, Claims: "{}"}, true},
		{tokenplug.Challenge{Error: InsufficientUserAuthenticate, ACRValues: "x"}, true},
		{tokenplug.Challenge{Error: InvalidToken, Claims: "{}"}, true},
		{tokenplug.Challenge{Error: InvalidToken}, false},
		{tokenplug.Challenge{}, false},
		{tokenplug.Challenge{Error: "something_else", Scope: "a"}, false},
	}
	for _, tt := range tests {
		if got := Answerable(tt.c); got != tt.want {
			t.Errorf("Answerable(%+v) = %v, want %v", tt.c, got, tt.want)
		}
	}
}

func TestErrorCodeHoldsOnlyKnownWords(t *testing.T) {
	for in, want := range map[string]string{"": "none", "invalid_token": "invalid_token", "insufficient_claims": "insufficient_claims", "secret-ish text": "other"} {
		if got := ErrorCode(tokenplug.Challenge{Error: in}); got != want {
			t.Errorf("ErrorCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeGivesTheSameKeyToTheSameDemand(t *testing.T) {
	a, ka := Normalize(tokenplug.Challenge{Error: InsufficientScope, Scope: "b a b"})
	_, kb := Normalize(tokenplug.Challenge{Error: "other", Scope: "a b"})
	_, kc := Normalize(tokenplug.Challenge{Error: InsufficientScope, Scope: "a"})
	_, kd := Normalize(tokenplug.Challenge{Claims: "a b"})
	if a.Scope != "a b" || ka != kb {
		t.Errorf("Normalize: scope %q, keys %q and %q; want \"a b\" and equal keys", a.Scope, ka, kb)
	}
	if ka == kc || ka == kd {
		t.Errorf("different demands share a key: %q %q %q", ka, kc, kd)
	}
}
