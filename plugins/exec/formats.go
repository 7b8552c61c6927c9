package exec

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/tokenplug/tokenplug/plugin"
)

// The ExecCredential API versions a helper may answer in
// (k8s.io/client-go/pkg/apis/clientauthentication/v1 and v1beta1; v1alpha1
// was removed in Kubernetes 1.24).
const (
	ExecCredentialV1      = "client.authentication.k8s.io/v1"
	ExecCredentialV1beta1 = "client.authentication.k8s.io/v1beta1"
)

// execCredential reads a Kubernetes ExecCredential: status.token and the
// optional status.expirationTimestamp (RFC 3339). A credential that is a
// client certificate (status.clientCertificateData) is refused: tokenplug
// puts tokens in headers and has nowhere to put a certificate.
func (p parser) execCredential(obj map[string]any, now time.Time) (result, error) {
	api, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	switch {
	case kind != "ExecCredential":
		return result{}, p.garbage("kind is not ExecCredential")
	case api != ExecCredentialV1 && api != ExecCredentialV1beta1:
		return result{}, p.garbage("apiVersion is neither " + ExecCredentialV1 + " nor " + ExecCredentialV1beta1)
	}
	tok, _ := lookup(obj, "status.token").(string)
	if tok == "" {
		if cert, _ := lookup(obj, "status.clientCertificateData").(string); cert != "" {
			return result{}, &plugin.Error{Kind: plugin.KindConfig, Err: errors.New(
				"the helper answered with a client certificate (status.clientCertificateData), which tokenplug does not support: it sends tokens only")}
		}
		return result{}, p.garbage("no status.token")
	}
	r := result{token: tok}
	if ts, ok := lookup(obj, "status.expirationTimestamp").(string); ok && ts != "" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return result{}, p.garbage("status.expirationTimestamp is not RFC 3339")
		}
		if r.expiry, err = plugin.CheckExpiry(now, t); err != nil {
			return result{}, err
		}
	}
	return r, nil
}

// Google executable-sourced credentials (google.aip.dev/auth/4117,
// "Executable-sourced credentials"): the subject token types a version 1
// response may carry, and the field that holds each.
var googleTokenFields = map[string]string{
	"urn:ietf:params:oauth:token-type:id_token": "id_token",
	"urn:ietf:params:oauth:token-type:jwt":      "id_token",
	"urn:ietf:params:oauth:token-type:saml2":    "saml_response",
}

// googleExecutable reads a Google executable response: version 1; on
// success the token in id_token or saml_response by token_type and the
// optional expiration_time (unix seconds); on failure code and message,
// which make a Permanent error (the executable says the user is not
// authorized, not that it had trouble).
func (p parser) googleExecutable(obj map[string]any, now time.Time) (result, error) {
	if v, _ := obj["version"].(fmt.Stringer); v == nil || v.String() != "1" {
		return result{}, p.garbage("version is not 1")
	}
	success, ok := obj["success"].(bool)
	if !ok {
		return result{}, p.garbage("success is not true or false")
	}
	if !success {
		code, _ := obj["code"].(string)
		msg, _ := obj["message"].(string)
		return result{}, plugin.Permanent(fmt.Errorf("the helper reports failure: code %q: %s", oneLine(code, 64), oneLine(msg, 200)))
	}
	typ, _ := obj["token_type"].(string)
	field, ok := googleTokenFields[typ]
	if !ok {
		return result{}, p.garbage("token_type is not one of the id_token, jwt or saml2 token types")
	}
	tok, _ := obj[field].(string)
	if tok == "" {
		return result{}, p.garbage("no " + field)
	}
	r := result{token: tok}
	if v, ok := obj["expiration_time"]; ok {
		exp, err := expiryOf("expiration_time", v, now)
		if err != nil {
			return result{}, plugin.Temporary(fmt.Errorf("the helper's output has an expiry at expiration_time that %w", err))
		}
		r.expiry = exp
	}
	return r, nil
}

// oneLine returns s as one line of printable text, at most max bytes:
// control characters (an ANSI escape, a carriage return that would
// overwrite a terminal line) become spaces, runs of spaces one.
func oneLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}
