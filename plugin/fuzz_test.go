package plugin

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// fuzzSecret stands for the access token in fuzzed token responses: the
// placeholder TOKEN in an input becomes it, so a leak is recognisable.
const fuzzSecret = "Zq9LEAKxP7wV3mKs2RtY8uHn"

// leaks reports whether msg holds any 8-byte piece of fuzzSecret.
func leaks(msg string) bool {
	for i := 0; i+8 <= len(fuzzSecret); i++ {
		if strings.Contains(msg, fuzzSecret[i:i+8]) {
			return true
		}
	}
	return false
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"TOKEN","expires_in":3600,"expiration":1700003600,"when":"2026-01-01T00:00:00Z"}`,
		`{"access_token":"TOKEN","expires_in":"3600"}`,
		`{"access_token":"TOKEN","when":"TOKEN"}`,
		`{"access_token":"TOKEN","n":"TOKEN"}`,
		`{"access_token":"TOKEN","m":{"TOKEN":1}}`,
		`{"access_token":"TOKEN"`,
		`["TOKEN"]`,
		``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var v struct {
			AccessToken string         `json:"access_token"`
			ExpiresIn   int64          `json:"expires_in"`
			Expiration  *int64         `json:"expiration"`
			When        time.Time      `json:"when"`
			N           int            `json:"n,string"`
			M           map[string]int `json:"m"`
		}
		err := DecodeJSON([]byte(strings.ReplaceAll(in, "TOKEN", fuzzSecret)), &v)
		if err != nil && leaks(err.Error()) {
			t.Fatalf("error quotes the token: %v", err)
		}
	})
}

func FuzzJWTTokenExpiry(f *testing.F) {
	for _, s := range []string{
		`{"iat":1700000000,"exp":1700000600,"sub":"TOKEN"}`,
		`{"exp":1700000600}`,
		`{"iat":1700000600,"exp":1700000000}`,
		`{"exp":1e300}`,
		`{"exp":-1}`,
		`{"exp":"TOKEN"}`,
		`TOKEN`,
	} {
		f.Add(s, int64(1_700_000_000))
	}
	f.Fuzz(func(t *testing.T, claims string, nowUnix int64) {
		enc := base64.RawURLEncoding.EncodeToString
		tok := enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(strings.ReplaceAll(claims, "TOKEN", fuzzSecret))) + "." + fuzzSecret
		// The receipt time is the local clock: keep it within 2001..2128.
		now := time.Unix(1_000_000_000+nowUnix%4_000_000_000, 0)
		if nowUnix < 0 {
			now = time.Unix(1_000_000_000, 0)
		}
		JWTExpiry(tok)
		JWTLifetime(tok)
		exp, ok, err := JWTTokenExpiry(tok, now)
		switch {
		case err != nil && leaks(err.Error()):
			t.Fatalf("error quotes the token: %v", err)
		case err == nil && ok && (exp.UnixMilli() <= 0 || exp.Sub(now) > MaxTokenLifetime):
			t.Fatalf("accepted expiry %v at %v", exp, now)
		}
	})
}
