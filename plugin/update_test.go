package plugin

import (
	"context"
	"maps"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// rotating is a stubProvider whose token carries update.
func rotating(update map[string]string) stubProvider {
	return stubProvider{configure: func(map[string]string) (oauth2.TokenSource, error) {
		return tokenFunc(func(context.Context) (*oauth2.Token, error) {
			return WithSettingsUpdate(&oauth2.Token{AccessToken: "a", TokenType: "Bearer"}, update), nil
		}), nil
	}}
}

func TestASettingsUpdateCrossesTheWireAsTheTokensExtra(t *testing.T) {
	want := map[string]string{"api_key": "rotated-SECRET", "mode": "after"}
	c := dial(t, rotating(want))
	if err := c.Configure(ctx(t), map[string]string{"api_key": "k"}); err != nil {
		t.Fatal(err)
	}
	tok, err := c.Token(ctx(t), false)
	if err != nil {
		t.Fatal(err)
	}
	if got := SettingsUpdateOf(tok); !maps.Equal(got, want) {
		t.Errorf("settings update %v, want %v", got, want)
	}
}

func TestATokenWithoutSettingsUpdateCarriesNone(t *testing.T) {
	c := dial(t, rotating(nil))
	if err := c.Configure(ctx(t), map[string]string{"api_key": "k"}); err != nil {
		t.Fatal(err)
	}
	tok, err := c.Token(ctx(t), false)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Extra(ExtraSettingsUpdate); got != nil {
		t.Errorf("settings update extra %v, want none", got)
	}
}

func TestTheSDKRefusesAnUpdateOfUndeclaredSettingsNamingThem(t *testing.T) {
	c := dial(t, rotating(map[string]string{"api_key": "rotated-SECRET", "zeta": "v-SECRET", "alpha": "w-SECRET"}))
	if err := c.Configure(ctx(t), map[string]string{"api_key": "k"}); err != nil {
		t.Fatal(err)
	}
	tok, err := c.Token(ctx(t), false)
	if err == nil {
		t.Fatalf("token %v with an undeclared update, want an error", tok)
	}
	msg := err.Error()
	if !strings.Contains(msg, `"alpha", "zeta"`) || !strings.HasPrefix(msg, "tokenplug/stub: ") {
		t.Errorf("error %q does not name the undeclared keys, sorted, after the plugin's name", msg)
	}
	if strings.Contains(msg, "SECRET") {
		t.Errorf("error %q quotes a value", msg)
	}
	if KindOf(err) != KindPermanent {
		t.Errorf("kind %v, want permanent: retrying cannot help", KindOf(err))
	}
}
