package exec

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tokenplug/tokenplug/plugin"
)

// family is a token field and the expiry fields that go with it, as one
// kind of helper prints them.
type family struct {
	token  string
	expiry []string // tried in order
	prefix string   // stripped from the token, as the vendor adds it
}

// families are the JSON outputs auto and json (without token_field) know,
// tried in order.
var families = []family{
	// OAuth 2.0 token response (RFC 6749 §5.1), and x/oauth2's Token as
	// JSON (expiry, RFC 3339).
	{token: "access_token", expiry: []string{"expires_in", "expires_on", "expiry"}},
	// Azure CLI, az account get-access-token: expires_on is unix seconds
	// (newer versions), expiresOn the local time without a zone.
	{token: "accessToken", expiry: []string{"expires_on", "expiresOn"}},
	// gcloud ... --format=json and many in-house scripts.
	{token: "token", expiry: []string{"expiry", "expiration", "expires_at"}},
	// IBM Cloud CLI, ibmcloud iam oauth-tokens --output json: the token
	// comes as "Bearer <JWT>"; its expiry is the JWT's exp.
	{token: "iam_token", prefix: "Bearer "},
	// A Kubernetes ExecCredential without apiVersion and kind.
	{token: "status.token", expiry: []string{"status.expirationTimestamp"}},
}

// azureLocalTime is the Azure CLI's expiresOn layout: local time, no zone.
const azureLocalTime = "2006-01-02 15:04:05.999999"

// fields reads the token and expiry of a JSON object: at token_field and
// expiry_field when set, else at the first known family whose token field
// the object has.
func (p parser) fields(obj map[string]any, now time.Time) (result, error) {
	fam, ok := p.family(obj)
	if !ok {
		if p.tokenField != "" {
			return result{}, p.garbage(fmt.Sprintf("no string at %s", p.tokenField))
		}
		return result{}, p.garbage("none of the known token fields")
	}
	tok, _ := lookup(obj, fam.token).(string)
	if fam.prefix != "" && len(tok) > len(fam.prefix) && strings.EqualFold(tok[:len(fam.prefix)], fam.prefix) {
		tok = tok[len(fam.prefix):]
	}
	r := result{token: tok}
	for _, key := range fam.expiry {
		v := lookup(obj, key)
		if v == nil {
			continue
		}
		exp, err := expiryOf(key, v, now)
		if err != nil {
			return result{}, plugin.Temporary(fmt.Errorf("the helper's output has an expiry at %s that %w", key, err))
		}
		r.expiry = exp
		return r, nil
	}
	if p.expiryField != "" {
		return result{}, p.garbage("no expiry at " + p.expiryField)
	}
	return r, nil
}

// family returns where obj holds its token: token_field and expiry_field
// when set, else the first known family present.
func (p parser) family(obj map[string]any) (family, bool) {
	if p.tokenField != "" {
		f := family{token: p.tokenField}
		if p.expiryField != "" {
			f.expiry = []string{p.expiryField}
		}
		_, ok := lookup(obj, p.tokenField).(string)
		return f, ok
	}
	for _, f := range families {
		if _, ok := lookup(obj, f.token).(string); ok {
			if p.expiryField != "" {
				f.expiry = []string{p.expiryField}
			}
			return f, true
		}
	}
	return family{}, false
}

// lookup follows a dotted path ("status.token") through nested objects;
// nil when it leads nowhere.
func lookup(obj map[string]any, path string) any {
	var v any = obj
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[part]
	}
	return v
}

// expiryOf reads the expiry value v found at key. A key ending in _in or
// In (expires_in) is a lifetime in seconds (RFC 6749 §5.1); otherwise a
// number, or a string of digits, is unix seconds; another string is RFC
// 3339 or, as the Azure CLI's expiresOn, local time "2006-01-02
// 15:04:05.000000". The error says what is wrong, never the value.
func expiryOf(key string, v any, now time.Time) (time.Time, error) {
	var secs int64
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.ParseInt(x.String(), 10, 64)
		if err != nil {
			return time.Time{}, errors.New("is not a whole number of seconds")
		}
		secs = n
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			secs = n
			break
		}
		if relative(key) {
			return time.Time{}, errors.New("is not a whole number of seconds")
		}
		t, err := parseTime(x)
		if err != nil {
			return time.Time{}, err
		}
		return plugin.CheckExpiry(now, t)
	default:
		return time.Time{}, errors.New("is neither a number nor a string")
	}
	if relative(key) {
		return plugin.ExpiryAfterSeconds(now, secs)
	}
	if secs <= 0 || secs > now.Unix()+int64(plugin.MaxTokenLifetime/time.Second) {
		return time.Time{}, errors.New("is out of range for unix seconds")
	}
	return plugin.CheckExpiry(now, time.Unix(secs, 0))
}

// relative reports whether the field at key holds a lifetime, not a time.
func relative(key string) bool {
	last := key[strings.LastIndexByte(key, '.')+1:]
	return strings.HasSuffix(last, "_in") || strings.HasSuffix(last, "In")
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(azureLocalTime, s, time.Local); err == nil {
		return t, nil
	}
	return time.Time{}, errors.New("is not a time (want RFC 3339, unix seconds, or 2006-01-02 15:04:05 local time)")
}
