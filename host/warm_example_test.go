package host_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/tokenplug/tokenplug/host"
)

// Start every provider at start-up, so that no request waits for a plugin
// start, and fail fast on a mistyped plugin name or setting.
func ExampleRegistry_Warm() {
	reg := host.NewRegistry()
	defer reg.Close()
	err := reg.Register("watson", host.ProviderConfig{
		Plugin:   "iam",
		Hosts:    []string{"*.watson.cloud.ibm.com"},
		Settings: map[string]string{"apikey": os.Getenv("IBM_APIKEY")},
	})
	if err != nil {
		log.Fatal(err) // a *host.ConfigError per bad value, e.g. at hosts[0]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := reg.Warm(ctx); err != nil {
		log.Fatal(err) // one line per provider that cannot serve, naming it
	}
}
