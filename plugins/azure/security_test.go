package azure

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// assertClean fails if err leaks the key or is not the provider's.
func assertClean(t *testing.T, err error) {
	t.Helper()
	plugintest.CheckError(t, err, "tokenplug/azure: ", testKey)
}

// badTokens are 200 bodies, each a JWT-looking token, that must be refused.
var badTokens = map[string]string{
	"exp before iat":           plugintest.UnsignedJWT(`{"iat":1700000600,"exp":1700000000,"sub":"LEAKEDTOKEN-0123456789"}`),
	"a lifetime over a year":   plugintest.UnsignedJWT(`{"iat":1700000000,"exp":1800000000,"sub":"LEAKEDTOKEN-0123456789"}`),
	"an exp before 1970":       plugintest.UnsignedJWT(`{"exp":-100,"sub":"LEAKEDTOKEN-0123456789"}`),
	"an overflowing exp":       plugintest.UnsignedJWT(`{"exp":1e300,"sub":"LEAKEDTOKEN-0123456789"}`),
	"not a JWT":                "LEAKEDTOKEN-0123456789.not-base64!.x",
	"exp as a string":          plugintest.UnsignedJWT(`{"exp":"soon","sub":"LEAKEDTOKEN-0123456789"}`),
	"claims that are not JSON": plugintest.UnsignedJWT(`LEAKEDTOKEN-0123456789`),
}

func TestAnUnknownKeyIsPermanentAndSaysWhy(t *testing.T) {
	f := newFixture(t)
	_, err := f.source(t, Provider{}, map[string]string{SettingSubscriptionKey: "not-registered"}).Token()
	if !errors.Is(err, plugin.ErrPermanent) || !strings.Contains(err.Error(), "invalid subscription key") {
		t.Fatalf("err = %v, want permanent quoting Azure", err)
	}
	assertClean(t, err)
}

func TestLifetimeIsAnchoredToTheLocalClock(t *testing.T) {
	f := newFixture(t)
	local := time.Unix(1_800_000_000, 0)
	f.az.Now = func() time.Time { return local.Add(-2 * time.Hour) } // Azure's clock is 2 h behind
	tok, err := f.source(t, Provider{now: func() time.Time { return local }}, nil).Token()
	if err != nil {
		t.Fatal(err)
	}
	if want := local.Add(f.az.Lifetime); !tok.Expiry.Equal(want) || !plugin.RefreshAtOf(tok).Equal(local.Add(renewAfter)) {
		t.Errorf("expiry %v refresh at %v, want local receipt + lifetime %v", tok.Expiry, plugin.RefreshAtOf(tok), want)
	}
}
