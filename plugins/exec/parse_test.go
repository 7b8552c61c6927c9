package exec

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// now is the clock of the parser tests: 2026-12-06 12:00:00 UTC.
var now = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// secretTok is the token in the outputs of error cases: no error may quote it.
const secretTok = "SECRETtok-7f3a9c2e1b"

// formatCase is a helper's output in one format and what it says.
type formatCase struct {
	name   string
	p      parser
	out    string
	tok    string
	expiry time.Time
}

// formatCases are every format and every known field family.
func formatCases() []formatCase {
	in1h := now.Add(time.Hour)
	local := time.Date(2026, 12, 6, 13, 30, 0, 0, time.Local)
	jwt := plugintest.UnsignedJWT(`{"exp":1800000000}`)
	return []formatCase{
		{"text: the first line is the token", parser{format: FormatText}, "tok-abc\nmore\n", "tok-abc", time.Time{}},
		{"auto: a bare line is text", parser{format: FormatAuto}, "  tok-abc \r\n", "tok-abc", time.Time{}},
		{"auto: access_token with expires_in (RFC 6749 §5.1)", parser{format: FormatAuto},
			`{"access_token":"tok-a","token_type":"Bearer","expires_in":3600}`, "tok-a", in1h},
		{"auto: access_token with expires_in as a string", parser{format: FormatAuto},
			`{"access_token":"tok-a","expires_in":"3600"}`, "tok-a", in1h},
		{"auto: access_token with expiry (x/oauth2's Token)", parser{format: FormatAuto},
			`{"access_token":"tok-a","expiry":"2026-12-06T13:00:00Z"}`, "tok-a", in1h},
		{"auto: Azure CLI accessToken prefers expires_on (unix seconds)", parser{format: FormatAuto},
			`{"accessToken":"tok-az","expiresOn":"2000-01-01 00:00:00.000000","expires_on":1765026000,"tokenType":"Bearer"}`,
			"tok-az", time.Unix(1765026000, 0)},
		{"auto: Azure CLI accessToken with expires_on as a string", parser{format: FormatAuto},
			`{"accessToken":"tok-az","expires_on":"1765026000"}`, "tok-az", time.Unix(1765026000, 0)},
		{"auto: older Azure CLI accessToken with expiresOn in local time", parser{format: FormatAuto},
			`{"accessToken":"tok-az","expiresOn":"2026-12-06 13:30:00.000000"}`, "tok-az", local},
		{"auto: token with expiry", parser{format: FormatAuto},
			`{"token":"tok-t","expiry":"2026-12-06T14:00:00+01:00"}`, "tok-t", in1h},
		{"auto: IBM Cloud CLI iam_token loses its Bearer prefix", parser{format: FormatAuto},
			`{"iam_token":"Bearer ` + jwt + `","uaa_token":"bearer x"}`, jwt, time.Time{}},
		{"auto: status.token without apiVersion", parser{format: FormatAuto},
			`{"status":{"token":"tok-s","expirationTimestamp":"2026-12-06T13:00:00Z"}}`, "tok-s", in1h},
		{"auto: ExecCredential v1", parser{format: FormatAuto},
			`{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false},` +
				`"status":{"token":"tok-k","expirationTimestamp":"2026-12-06T13:00:00Z"}}`, "tok-k", in1h},
		{"exec_credential: v1beta1 without expiry", parser{format: FormatExecCredential},
			`{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"tok-k"}}`, "tok-k", time.Time{}},
		{"auto: Google executable id_token", parser{format: FormatAuto},
			`{"version":1,"success":true,"token_type":"urn:ietf:params:oauth:token-type:id_token","id_token":"tok-g","expiration_time":1765026000}`,
			"tok-g", time.Unix(1765026000, 0)},
		{"google_executable: jwt", parser{format: FormatGoogleExecutable},
			`{"version":1,"success":true,"token_type":"urn:ietf:params:oauth:token-type:jwt","id_token":"tok-j"}`, "tok-j", time.Time{}},
		{"google_executable: saml2", parser{format: FormatGoogleExecutable},
			`{"version":1,"success":true,"token_type":"urn:ietf:params:oauth:token-type:saml2","saml_response":"PHNhbWw+"}`, "PHNhbWw+", time.Time{}},
		{"json: token_field and expiry_field are dotted paths", parser{format: FormatJSON, tokenField: "data.auth.tok", expiryField: "data.auth.exp"},
			`{"data":{"auth":{"tok":"tok-d","exp":"2026-12-06T13:00:00Z"}}}`, "tok-d", in1h},
		{"json: an expiry_field ending in _in is seconds from now", parser{format: FormatJSON, tokenField: "t", expiryField: "valid_in"},
			`{"t":"tok-d","valid_in":3600}`, "tok-d", in1h},
		{"json: the known fields without token_field", parser{format: FormatJSON},
			`{"access_token":"tok-a"}`, "tok-a", time.Time{}},
	}
}

func TestParseReadsEveryFormatAndFieldFamily(t *testing.T) {
	for _, c := range formatCases() {
		t.Run(c.name, func(t *testing.T) {
			r, err := c.p.parse([]byte(c.out), now)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if r.token != c.tok || !r.expiry.Equal(c.expiry) {
				t.Errorf("got token %q expiry %v, want %q %v", r.token, r.expiry, c.tok, c.expiry)
			}
		})
	}
}

func TestParseErrorsSayWhatWasExpectedAndNeverQuoteTheOutput(t *testing.T) {
	cases := []struct {
		name string
		p    parser
		out  string
		kind error
		says string
	}{
		{"text: nothing printed", parser{format: FormatText}, "", plugin.ErrTemporary, "format text wants the token alone"},
		{"text: a sentence is not a token", parser{format: FormatText}, "Error: " + secretTok + " expired\n", plugin.ErrTemporary, "holds spaces"},
		{"auto: broken JSON", parser{format: FormatAuto}, `{"access_token":"` + secretTok, plugin.ErrTemporary, "not JSON"},
		{"auto: no known field", parser{format: FormatAuto}, `{"jwt":"` + secretTok + `"}`, plugin.ErrTemporary, "none of the known token fields"},
		{"json: token_field missing", parser{format: FormatJSON, tokenField: "a.b"}, `{"a":{"c":"` + secretTok + `"}}`, plugin.ErrTemporary, "no string at a.b"},
		{"json: expiry_field missing", parser{format: FormatJSON, tokenField: "t", expiryField: "e"}, `{"t":"` + secretTok + `"}`, plugin.ErrTemporary, "no expiry at e"},
		{"json: an expiry that is not a time", parser{format: FormatAuto}, `{"token":"` + secretTok + `","expiry":"` + secretTok + `"}`, plugin.ErrTemporary, "not a time"},
		{"json: expires_in over a year", parser{format: FormatAuto}, `{"access_token":"` + secretTok + `","expires_in":99999999999}`, plugin.ErrBadLifetime, "expires_in"},
		{"json: an array", parser{format: FormatJSON}, `["` + secretTok + `"]`, plugin.ErrTemporary, "not a JSON object"},
		{"exec_credential: v1alpha1", parser{format: FormatExecCredential},
			`{"apiVersion":"client.authentication.k8s.io/v1alpha1","kind":"ExecCredential","status":{"token":"` + secretTok + `"}}`, plugin.ErrTemporary, "apiVersion"},
		{"exec_credential: a client certificate is not supported", parser{format: FormatAuto},
			`{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"` + secretTok + `","clientKeyData":"` + secretTok + `"}}`,
			plugin.ErrConfig, "clientCertificateData"},
		{"exec_credential: text", parser{format: FormatExecCredential}, secretTok, plugin.ErrTemporary, "ExecCredential with status.token"},
		{"google: failure gives its code and message", parser{format: FormatAuto},
			`{"version":1,"success":false,"code":"401","message":"Caller not authorized.\u001b[2J"}`, plugin.ErrPermanent, `code "401": Caller not authorized.`},
		{"google: version 2", parser{format: FormatGoogleExecutable},
			`{"version":2,"success":true,"token_type":"urn:ietf:params:oauth:token-type:id_token","id_token":"` + secretTok + `"}`, plugin.ErrTemporary, "version is not 1"},
		{"google: an unknown token_type", parser{format: FormatGoogleExecutable},
			`{"version":1,"success":true,"token_type":"bearer","id_token":"` + secretTok + `"}`, plugin.ErrTemporary, "token_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.p.parse([]byte(c.out), now)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %q: want one matching %v that says %q", err, c.kind, c.says)
			}
			if plugintest.ContainsPart(err.Error(), secretTok) || strings.ContainsAny(err.Error(), "\n\x1b") {
				t.Errorf("error %q quotes the output or holds control characters", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"tok\n", `{"access_token":"a","expires_in":60}`, `{"accessToken":"a","expiresOn":"2026-12-06 13:30:00.000000"}`,
		`{"iam_token":"Bearer a"}`, `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"a"}}`,
		`{"version":1,"success":false,"code":"1","message":"m"}`, `{"token":"a","expiry":1765026000}`, `{"a":{"b":"c"}}`,
	} {
		f.Add([]byte(seed), uint8(0))
	}
	f.Fuzz(func(t *testing.T, out []byte, which uint8) {
		p := parser{format: formats[int(which)%len(formats)]}
		if which >= 128 {
			p.tokenField, p.expiryField = "a.b", "a.e"
		}
		r, err := p.parse(out, now)
		switch {
		case err != nil:
			if len(err.Error()) > 600 || strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error is over 600 bytes or not one line: %q", err)
			}
		case !validToken(r.token):
			t.Errorf("token %q is not a header-safe token", r.token)
		case !r.expiry.IsZero() && r.expiry.Sub(now) > plugin.MaxTokenLifetime:
			t.Errorf("expiry %v is over the maximum lifetime away", r.expiry)
		}
	})
}
