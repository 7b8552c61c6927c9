package iam_test

import (
	"context"
	"fmt"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugins/iam"
)

// The provider used in-process, against a local IAM emulator. In production
// the host runs the tokenplug-iam binary and token_url keeps its default.
func ExampleProvider() {
	idp := emulator.StartIAM()
	defer idp.Close()
	idp.AddAPIKey("my-api-key")

	ts, err := iam.New().Configure(context.Background(), map[string]string{
		iam.SettingAPIKey:   "my-api-key",
		iam.SettingTokenURL: idp.URL + "/identity/token",
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
	fmt.Println(tok.Type(), idp.Verify(tok.AccessToken) == nil)
	// Output: Bearer true
}
