package exec_test

import (
	"context"
	"fmt"

	"github.com/tokenplug/tokenplug/plugin/plugintest"
	"github.com/tokenplug/tokenplug/plugins/exec"
)

// A helper printing JSON with a token and its lifetime, run in-process.
// A host runs the tokenplug-exec binary instead, and caches the token.
func Example() {
	ts, err := plugintest.Configure(context.Background(), exec.New(), map[string]string{
		"command": `printf '{"access_token":"%s","expires_in":3600}' tok-example`,
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
	fmt.Println(tok.AccessToken, tok.Type())
	// Output: tok-example Bearer
}
