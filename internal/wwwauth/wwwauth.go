// Package wwwauth reads the Bearer challenge out of a server's
// WWW-Authenticate header fields (RFC 9110 §11.6.1, RFC 6750 §3, RFC 9470
// §3, Entra ID claims challenges). It is a small pure function shared by
// transport and grpccreds, which must link nothing heavier than the root
// package.
//
// A field that does not parse up to the end of its Bearer challenge
// (unbalanced quotes, a stray character, control characters, a duplicated
// Bearer parameter or an invalid value) or headers that are too large
// (more than MaxBytes in all, or more than MaxItems comma-separated items in
// a field) yields no challenge: the caller then treats the response as an
// ordinary refusal. Parsing is linear in the input and allocates only the
// values it returns.
package wwwauth

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/tokenplug/tokenplug"
)

// Limits on what Parse reads. A real challenge is a few hundred bytes (an
// Entra claims challenge, base64, is the longest seen); anything beyond
// these is ignored as hostile.
const (
	MaxBytes = 16 << 10 // all fields together
	MaxItems = 64       // comma-separated items (challenges and parameters) per field
)

// Parse returns the first Bearer challenge in values (the response's
// WWW-Authenticate fields, in order) and whether there is one. The scheme
// and parameter names match case-insensitively; Claims is decoded from
// base64 or base64url (Entra encodes it; a value starting with '{' is taken
// as raw JSON) and must be a JSON object; MaxAge is digits only; Scope is
// RFC 6749 §3.3 scope tokens separated by single spaces.
func Parse(values []string) (tokenplug.Challenge, bool) {
	n := 0
	for _, v := range values {
		n += len(v)
	}
	if n > MaxBytes {
		return tokenplug.Challenge{}, false
	}
	for _, v := range values {
		if c, found, ok := parseField(v); ok && found {
			return c, true
		}
	}
	return tokenplug.Challenge{}, false
}

// parseField reads one field value: found says it holds a Bearer
// challenge, ok that the field parsed (a broken field is ignored whole).
func parseField(s string) (c tokenplug.Challenge, found, ok bool) {
	p := scanner{s: s}
	inBearer := false
	seen := 0 // bit set of the Bearer parameters seen
	for items := 0; ; items++ {
		p.skipListSeparators()
		if p.done() {
			return c, found, true
		}
		if items >= MaxItems {
			return c, false, false
		}
		name := p.token()
		if name == "" {
			return c, false, false
		}
		afterName := p.i
		p.skipOWS()
		if p.peek() == '=' {
			// auth-param = token BWS "=" BWS ( token / quoted-string )
			p.i++
			p.skipOWS()
			val, vok := p.value()
			if !vok || !p.endOfItem() {
				return c, false, false
			}
			if inBearer && !setParam(&c, &seen, name, val) {
				return c, false, false
			}
			continue
		}
		// A new challenge: auth-scheme [ 1*SP ( token68 / #auth-param ) ].
		if found && inBearer {
			return c, true, true // the first Bearer challenge is complete
		}
		inBearer = strings.EqualFold(name, "Bearer")
		found = found || inBearer
		if p.endOfItem() {
			continue
		}
		if p.s[afterName] != ' ' { // 1*SP after the scheme
			return c, false, false
		}
		if !p.paramAhead() {
			if !p.token68() || !p.endOfItem() {
				return c, false, false
			}
		}
		// else the loop reads the first auth-param next
	}
}

// Bits of the Bearer parameters, for duplicate detection (RFC 6750 §3:
// each MUST NOT appear more than once).
const (
	bitError = 1 << iota
	bitScope
	bitClaims
	bitACR
	bitMaxAge
)

// setParam stores a Bearer parameter in c; false means the challenge is
// malformed (a duplicate or an invalid value). Unknown parameters (realm,
// error_description, error_uri, authorization_uri, ...) are skipped.
func setParam(c *tokenplug.Challenge, seen *int, name, val string) bool {
	var bit int
	var dst *string
	switch strings.ToLower(name) {
	case "error":
		bit, dst = bitError, &c.Error
		if !nqschars(val) {
			return false
		}
	case "scope":
		bit, dst = bitScope, &c.Scope
		if !scopeTokens(val) {
			return false
		}
	case "claims":
		bit, dst = bitClaims, &c.Claims
		var ok bool
		if val, ok = decodeClaims(val); !ok {
			return false
		}
	case "acr_values":
		bit, dst = bitACR, &c.ACRValues
		if !scopeTokens(val) {
			return false
		}
	case "max_age":
		bit, dst = bitMaxAge, &c.MaxAge
		if !digits(val) {
			return false
		}
	default:
		return true
	}
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	*dst = val
	return true
}

// decodeClaims returns a claims parameter as JSON: raw when it starts with
// '{', else decoded from base64 (Entra ID sends standard base64 with
// padding; base64url, padded or not, is accepted too). It must be a JSON
// object.
func decodeClaims(v string) (string, bool) {
	if !strings.HasPrefix(v, "{") {
		var b []byte
		var err error
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if b, err = enc.DecodeString(v); err == nil {
				break
			}
		}
		if err != nil {
			return "", false
		}
		v = string(b)
	}
	v = strings.TrimSpace(v)
	return v, strings.HasPrefix(v, "{") && json.Valid([]byte(v))
}

// nqschars reports whether v is RFC 6750 §3 error text: %x20-21 / %x23-5B
// / %x5D-7E.
func nqschars(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < 0x20 || b > 0x7e || b == '"' || b == '\\' {
			return false
		}
	}
	return true
}

// scopeTokens reports whether v is RFC 6749 §3.3 scope: scope-tokens of
// NQCHAR (%x21 / %x23-5B / %x5D-7E) separated by single spaces.
func scopeTokens(v string) bool {
	if v == "" {
		return false
	}
	for t := range strings.SplitSeq(v, " ") {
		if t == "" || !nqschars(t) || strings.Contains(t, " ") {
			return false
		}
	}
	return true
}

func digits(v string) bool {
	if v == "" || len(v) > 10 { // RFC 9470 max_age: seconds; ten digits is three centuries
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}
