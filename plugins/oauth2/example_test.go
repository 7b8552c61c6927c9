package oauth2_test

import (
	"context"
	"fmt"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugins/oauth2"
)

// A provider built on this package gets a token source for one client of
// one token endpoint; here, client_secret_post against the OAuth2
// emulator.
func ExampleNewTokenSource() {
	idp := emulator.StartOAuth2()
	defer idp.Close()
	_ = idp.AddClient(emulator.OAuth2Client{ID: "my-app", Secret: "my-secret"})

	ts, err := oauth2.NewTokenSource(oauth2.Config{
		TokenURL:     idp.TokenURL(),
		ClientID:     "my-app",
		ClientSecret: "my-secret",
		ClientAuth:   oauth2.AuthPost,
		Scope:        "api.read",
		Name:         "myprovider", // errors start "tokenplug/myprovider: "
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := ts.TokenContext(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Type(), idp.Verify(tok.AccessToken) == nil)
	// Output: Bearer true
}

// Bad settings are reported all at once, each naming its setting.
func ExampleProvider_Configure() {
	_, err := oauth2.New().Configure(context.Background(), map[string]string{
		oauth2.SettingTokenURL:   "http://idp.example/token",
		oauth2.SettingClientAuth: "private_key_jwt",
	})
	fmt.Println(err)
	// Output: setting "token_url": must use https (plain http is allowed to loopback addresses only); setting "client_id": required; setting "private_key": client_auth private_key_jwt needs private_key, private_key_file or client_assertion_file
}
