package azure_test

import (
	"context"
	"fmt"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugins/azure"
)

// The provider used in-process, against a local issueToken emulator. In
// production the host runs the tokenplug-azure binary with region set
// instead of token_url.
func ExampleProvider() {
	az := emulator.StartAzure()
	defer az.Close()
	az.AddKey("my-subscription-key")

	ts, err := azure.New().Configure(context.Background(), map[string]string{
		azure.SettingSubscriptionKey: "my-subscription-key",
		azure.SettingTokenURL:        az.URL + "/sts/v1.0/issueToken",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := ts.Token()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Type(), az.Verify(tok.AccessToken) == nil, plugin.RefreshAtOf(tok).Before(tok.Expiry))
	// Output: Bearer true true
}

// Mode key sends the subscription key itself; no token request is made.
func ExampleProvider_keyMode() {
	p := azure.New()
	ts, err := p.Configure(context.Background(), map[string]string{"subscription_key": "my-subscription-key", "mode": "key"})
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, _ := ts.Token()
	fmt.Println(plugin.HeaderOf(tok), tok.Expiry.IsZero())
	// Output: Ocp-Apim-Subscription-Key true
}
