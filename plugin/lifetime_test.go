package plugin

import (
	"encoding/base64"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	pb "github.com/tokenplug/tokenplug/plugin/proto"
)

var t0 = time.Unix(1_800_000_000, 0)

// unsignedJWT returns a JWT with the given claims JSON and no signature.
func unsignedJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(claims)) + "."
}

func TestExpiryAfterAcceptsOnlySaneLifetimes(t *testing.T) {
	if exp, err := ExpiryAfter(t0, time.Hour); err != nil || !exp.Equal(t0.Add(time.Hour)) {
		t.Errorf("one hour: %v, %v", exp, err)
	}
	for _, d := range []time.Duration{0, -time.Second, MaxTokenLifetime + time.Second, math.MaxInt64} {
		if _, err := ExpiryAfter(t0, d); !errors.Is(err, ErrBadLifetime) || !errors.Is(err, ErrTemporary) {
			t.Errorf("%v: err = %v, want a temporary ErrBadLifetime", d, err)
		}
	}
	for _, s := range []int64{0, -1, math.MinInt64, math.MaxInt64, int64(MaxTokenLifetime/time.Second) + 1} {
		if exp, err := ExpiryAfterSeconds(t0, s); !errors.Is(err, ErrBadLifetime) {
			t.Errorf("%d s: %v, %v, want ErrBadLifetime", s, exp, err)
		}
	}
	if exp, err := ExpiryAfterSeconds(t0, 3600); err != nil || !exp.Equal(t0.Add(time.Hour)) {
		t.Errorf("3600 s: %v, %v", exp, err)
	}
}

func TestCheckExpiryRefusesGarbageButPassesThePast(t *testing.T) {
	for _, exp := range []time.Time{time.Unix(-1, 0), time.Unix(0, 0), t0.Add(MaxTokenLifetime + time.Hour)} {
		if _, err := CheckExpiry(t0, exp); !errors.Is(err, ErrBadLifetime) {
			t.Errorf("%v: err = %v, want ErrBadLifetime", exp, err)
		}
	}
	// A past expiry is skew or a stale token: the host judges it.
	if got, err := CheckExpiry(t0, t0.Add(-2*time.Hour)); err != nil || !got.Equal(t0.Add(-2*time.Hour)) {
		t.Errorf("past expiry: %v, %v", got, err)
	}
}

func TestJWTLifetimeIsExpMinusIat(t *testing.T) {
	tests := []struct {
		token string
		want  time.Duration
		ok    bool
	}{
		{unsignedJWT(`{"iat":1000,"exp":1600}`), 10 * time.Minute, true},
		{unsignedJWT(`{"iat":1600,"exp":1000}`), -10 * time.Minute, true},
		{unsignedJWT(`{"exp":1600}`), 0, false},
		{unsignedJWT(`{"iat":1600}`), 0, false},
		{"opaque-token", 0, false},
	}
	for _, tt := range tests {
		if got, ok := JWTLifetime(tt.token); got != tt.want || ok != tt.ok {
			t.Errorf("JWTLifetime(%s) = %v, %v, want %v, %v", tt.token, got, ok, tt.want, tt.ok)
		}
	}
}

func TestJWTTokenExpiryAnchorsExpMinusIatToReceipt(t *testing.T) {
	// Issued by a clock two hours behind ours: exp is already past here.
	vendor := t0.Add(-2 * time.Hour).Unix()
	tok := unsignedJWT(`{"iat":` + itoa(vendor) + `,"exp":` + itoa(vendor+600) + `}`)
	if exp, ok, err := JWTTokenExpiry(tok, t0); err != nil || !ok || !exp.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("JWTTokenExpiry = %v, %v, %v, want receipt + 10m", exp, ok, err)
	}
	if exp, ok, err := JWTTokenExpiry(unsignedJWT(`{"exp":`+itoa(t0.Unix()+60)+`}`), t0); err != nil || !ok || !exp.Equal(t0.Add(time.Minute)) {
		t.Errorf("exp alone: %v, %v, %v", exp, ok, err)
	}
	if _, ok, err := JWTTokenExpiry(unsignedJWT(`{"sub":"x"}`), t0); ok || err != nil {
		t.Errorf("no exp: ok %v err %v, want a fallback", ok, err)
	}
	for _, claims := range []string{`{"iat":1600,"exp":1000}`, `{"iat":0,"exp":99999999999}`, `{"exp":-5}`, `{"exp":1e300}`} {
		if _, _, err := JWTTokenExpiry(unsignedJWT(claims), t0); !errors.Is(err, ErrBadLifetime) {
			t.Errorf("%s: err = %v, want ErrBadLifetime", claims, err)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestTheBoundaryNeverTurnsABadExpiryIntoNever(t *testing.T) {
	bad := []time.Time{time.Unix(-3600, 0), time.Unix(0, 0), time.Unix(math.MaxInt64/1000+1, 0), time.Unix(math.MinInt64, 0)}
	for _, exp := range bad {
		if r, err := tokenToProto(&oauth2.Token{AccessToken: "a", Expiry: exp}); err == nil {
			t.Errorf("expiry %v became %d on the wire, want an error", exp, r.Expiry)
		}
		if r, err := tokenToProto(WithRefreshAt(&oauth2.Token{AccessToken: "a", Expiry: t0}, exp)); err == nil {
			t.Errorf("refresh hint %v became %d on the wire, want an error", exp, r.RefreshAt)
		}
	}
	if r, err := tokenToProto(&oauth2.Token{AccessToken: "a"}); err != nil || r.Expiry != 0 {
		t.Errorf("no expiry: %v, %v, want 0 (never)", r, err)
	}
	for _, r := range []*pb.TokenResponse{{AccessToken: "a", Expiry: -1}, {AccessToken: "a", Expiry: 5, RefreshAt: -1}} {
		if tok, err := tokenFromProto(r); err == nil {
			t.Errorf("%v from the wire = %+v, want an error", r, tok)
		}
	}
	r, err := tokenToProto(WithRefreshAt(&oauth2.Token{AccessToken: "a", Expiry: t0}, t0.Add(-time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenFromProto(r)
	if err != nil || !tok.Expiry.Equal(t0) || !RefreshAtOf(tok).Equal(t0.Add(-time.Minute)) {
		t.Errorf("round trip: %+v, %v", tok, err)
	}
}

func TestAnExpiryBefore1970IsAnErrorOverTheWireNotNever(t *testing.T) {
	c := dial(t, stubProvider{configure: func(map[string]string) (oauth2.TokenSource, error) {
		return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "secret-tok", Expiry: time.Unix(-1, 0)}), nil
	}})
	if err := c.Configure(ctx(t), map[string]string{"api_key": "k"}); err != nil {
		t.Fatal(err)
	}
	tok, err := c.Token(ctx(t), false)
	if err == nil || !strings.Contains(err.Error(), "1970") || strings.Contains(err.Error(), "secret-tok") {
		t.Fatalf("Token = %+v, %v, want an error about the expiry", tok, err)
	}
}

func TestDecodeJSONNeverQuotesAValue(t *testing.T) {
	bodies := map[string]any{
		`{"when":"secret-tok-as-a-time"}`: &struct {
			When time.Time `json:"when"`
		}{},
		`{"n":"secret-tok-as-a-number"}`: &struct {
			N int `json:"n,string"`
		}{},
		`{"n":"12345678901234567890123"}`: &struct {
			N int64 `json:"n,string"`
		}{},
		`{"m":{"secret-tok-as-a-key":"x"}}`: &struct {
			M map[string]int `json:"m"`
		}{},
		`{"x":1e99999}`: &struct {
			X float64 `json:"x"`
		}{},
	}
	for body, v := range bodies {
		err := DecodeJSON([]byte(body), v)
		if err == nil || strings.Contains(err.Error(), "secret-tok") || strings.Contains(err.Error(), "1234567890") {
			t.Errorf("%s: err = %v, want an error without the value", body, err)
		}
	}
}
