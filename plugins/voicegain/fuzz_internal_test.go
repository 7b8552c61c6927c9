package voicegain

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// plugintest.Marker stands for the token (TOKEN in a fuzzed body), so that
// a leak into an error is recognisable.
func FuzzParseJWTResponse(f *testing.F) {
	enc := base64.RawURLEncoding.EncodeToString
	jwt := enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(`{"aud":"*","iat":1700000000,"exp":1700000600}`)) + ".TOKEN"
	for _, s := range []string{
		jwt,
		`"` + jwt + `"`,
		`{"jwt":"` + jwt + `"}`,
		`{"token":"` + jwt + `","jwt":5}`,
		`{"access_token":"` + jwt + `"`,
		enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{"iat":1700000600,"exp":1700000000}`)) + ".TOKEN",
		`"TOKEN`,
		`<html>TOKEN</html>`,
		``,
	} {
		f.Add(s, "application/json")
	}
	start := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, body, contentType string) {
		tok, err := parseJWTResponse([]byte(strings.ReplaceAll(body, "TOKEN", plugintest.Marker)), contentType)
		if err == nil {
			var exp time.Time
			exp, err = shortLivedExpiry(tok, start, DefaultLifetime)
			if err == nil && (exp.UnixMilli() <= 0 || exp.Sub(start) > plugin.MaxTokenLifetime) {
				t.Fatalf("accepted expiry %v", exp)
			}
		}
		if err != nil {
			plugintest.CheckError(t, err, "tokenplug/voicegain: ", plugintest.Marker)
		}
	})
}
