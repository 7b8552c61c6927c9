package iam_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugins/iam"
)

// The provider used in-process, against a local IAM emulator. In production
// the host runs the tokenplug-iam binary and token_url keeps its default.
func ExampleProvider() {
	idp := emulator.NewIAM()
	idp.AddAPIKey("my-api-key")
	srv := httptest.NewServer(idp)
	defer srv.Close()

	p := iam.New()
	settings, err := plugin.ApplySchema(p.Describe(), map[string]string{
		"apikey":    "my-api-key",
		"token_url": srv.URL + "/identity/token",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ts, err := p.Configure(context.Background(), settings)
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
