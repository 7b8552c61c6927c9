// Command helper is a credential helper for the exec provider's tests:
//
//	helper env FILE    writes its environment (a JSON object) to FILE and
//	                   prints a token
//	helper flood       prints 10 MiB, ignoring a closed stdout, then hangs
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	switch os.Args[1] {
	case "env":
		env := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		b, _ := json.Marshal(env)
		if err := os.WriteFile(os.Args[2], b, 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Println("helper-env-token")
	case "flood":
		signal.Ignore(syscall.SIGPIPE)
		chunk := []byte(strings.Repeat("a", 64<<10))
		for range 160 { // 10 MiB
			_, _ = os.Stdout.Write(chunk)
		}
		time.Sleep(time.Hour)
	}
}
