package voicegain_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugins/voicegain"
)

// A short-lived JWT for browsers on any subdomain of example.com, here
// fetched from a local Voicegain emulator. In production, leave api_url out
// and pass the console JWT from a secret store.
func ExampleProvider_shortLived() {
	vg := emulator.NewVoicegain()
	srv := httptest.NewServer(vg)
	defer srv.Close()

	ts, err := voicegain.New().Configure(context.Background(), map[string]string{
		"jwt":      vg.ConsoleJWT(),
		"mode":     "short_lived",
		"api_url":  srv.URL + "/v1",
		"audience": "*.example.com",
		"lifetime": "15m",
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
	fmt.Println(tok.Type(), tok.AccessToken != vg.ConsoleJWT(), !tok.Expiry.IsZero())
	// Output: Bearer true true
}

// Configure reports every bad setting by key, and never echoes the JWT.
func ExampleProvider_Configure_errors() {
	_, err := voicegain.New().Configure(context.Background(), map[string]string{
		"jwt":      "Bearer eyJhbGciOiJub25lIn0.e30.",
		"mode":     "short_lived",
		"lifetime": "0s",
	})
	fmt.Println(err)
	// Output: setting "jwt": must be the JWT alone, without the "Bearer " prefix; setting "audience": required with mode short_lived; setting "lifetime": "0s" must be positive
}
