package azure

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// plugintest.Marker stands for the token (TOKEN in a fuzzed body), so that
// a leak into an error is recognisable.
func FuzzParseIssueTokenResponse(f *testing.F) {
	enc := base64.RawURLEncoding.EncodeToString
	for _, claims := range []string{
		`{"region":"westus","iat":1700000000,"exp":1700000600}`,
		`{"exp":1700000600}`,
		`{"iat":1700000600,"exp":1700000000}`,
		`{"exp":1e300}`,
		`{"exp":"TOKEN"}`,
		`TOKEN`,
	} {
		f.Add(enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(claims)) + ".TOKEN")
	}
	f.Add("TOKEN")
	f.Add("<html>TOKEN</html>")
	f.Add("")
	issued := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, body string) {
		tok, err := parse(bytes.TrimSpace([]byte(strings.ReplaceAll(body, "TOKEN", plugintest.Marker))), issued)
		if err != nil {
			plugintest.CheckError(t, err, "tokenplug/azure: ", plugintest.Marker)
			return
		}
		at := plugin.RefreshAtOf(tok)
		if tok.AccessToken == "" || tok.Expiry.UnixMilli() <= 0 || tok.Expiry.Sub(issued) > plugin.MaxTokenLifetime || at.UnixMilli() <= 0 {
			t.Fatalf("accepted token expiring %v, refresh at %v", tok.Expiry, at)
		}
	})
}
