package iam

import (
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// plugintest.Marker stands for the token (TOKEN in a fuzzed body), so that
// a leak into an error is recognisable.
func FuzzParseTokenResponse(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"TOKEN","refresh_token":"not_supported","token_type":"Bearer","expires_in":3600,"expiration":1700003600,"scope":"ibm openid"}`,
		`{"access_token":"TOKEN","expires_in":"3600"}`,
		`{"access_token":"TOKEN","expires_in":9223372036854775807}`,
		`{"access_token":"TOKEN","expires_in":-1}`,
		`{"access_token":"TOKEN","expiration":-100}`,
		`{"access_token":"TOKEN","token_type":7}`,
		`{"access_token":"TOKEN"`,
		`<html>TOKEN</html>`,
		``,
	} {
		f.Add(s)
	}
	received := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, body string) {
		tok, err := parse([]byte(strings.ReplaceAll(body, "TOKEN", plugintest.Marker)), received)
		if err != nil {
			plugintest.CheckError(t, err, "tokenplug/iam: ", plugintest.Marker)
			return
		}
		if tok.AccessToken == "" || tok.Expiry.UnixMilli() <= 0 || tok.Expiry.Sub(received) > plugin.MaxTokenLifetime {
			t.Fatalf("accepted token %+v", tok)
		}
	})
}
