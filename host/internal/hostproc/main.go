// Command hostproc is a host process for tests: it starts the plugin at the
// path in argv[1] through a Registry, prints the plugin's first token (with
// the fault plugin's default "pid" behavior, its pid; argv[2], if given,
// picks another behavior) and then waits to be killed.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/tokenplug/tokenplug/host"
)

func main() {
	behavior := "pid"
	if len(os.Args) > 2 {
		behavior = os.Args[2]
	}
	reg := host.NewRegistry()
	defer reg.Close()
	if err := reg.Register("p", host.ProviderConfig{Path: os.Args[1], Settings: map[string]string{"behavior": behavior}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tok, err := reg.Token(context.Background(), "p")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(tok.AccessToken)
	time.Sleep(time.Hour)
}
