package benchmarks_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"testing"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// symphonyKey is a PEM RSA key for the symphony provider. 2048 bits is the
// provider's minimum: the smallest signing cost a user can have.
var symphonyKey string

func TestMain(m *testing.M) {
	flag.Parse()
	if flag.Lookup("test.bench").Value.String() == "" {
		// A plain test run (go test ./...) runs no benchmark here: skip
		// building plugins and making a key it would not use.
		os.Exit(m.Run())
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	symphonyKey = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	testbin.Main(m, testbin.Plugins("symphony", "fault", "iam", "oauth2"))
}

// providers are the configurations the plugin benchmarks run: the fault
// plugin, whose Token does nearly nothing (so what is measured is the
// plugin machinery), and symphony, which signs an RS512 JWT per token (a
// realistic provider that needs no network).
func providerConfig(name string, hosts ...string) host.ProviderConfig {
	switch name {
	case "fault":
		return host.ProviderConfig{Path: testbin.Path("fault"), Hosts: hosts, Settings: map[string]string{"behavior": "ok", "lifetime": "1h"}}
	case "symphony":
		return host.ProviderConfig{Path: testbin.Path("symphony"), Hosts: hosts, Settings: symphonySettings()}
	}
	panic("unknown provider " + name)
}

func symphonySettings() map[string]string {
	return map[string]string{"private_key": symphonyKey, "public_key_name": "bench"}
}

// warmSource returns a host.Source for provider, its plugin started and its
// token cached, and its registry, closed when b ends.
func warmSource(b *testing.B, provider string, hosts ...string) (*host.Registry, *host.Source) {
	b.Helper()
	// No invalidation window: BenchmarkFetch's impl=host invalidates on
	// every iteration to measure a real fetch, which the 401-storm guard
	// would otherwise answer from the cache.
	reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)), host.WithInvalidationWindow(0))
	if err := reg.Register(provider, providerConfig(provider, hosts...)); err != nil {
		b.Fatal(err)
	}
	src, err := reg.Source(provider)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { reg.Close() })
	if _, err := src.Token(b.Context()); err != nil {
		b.Fatal(err)
	}
	return reg, src
}

// serialAndParallel runs op as the sub-benchmarks par=serial/impl=<impl>
// (one goroutine) and par=parallel/impl=<impl> (GOMAXPROCS goroutines),
// reporting allocations. Every implementation a benchmark compares pays
// the same indirect call to op.
func serialAndParallel(b *testing.B, impl string, op func()) {
	b.Run("par=serial/impl="+impl, func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			op()
		}
	})
	b.Run("par=parallel/impl="+impl, func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				op()
			}
		})
	})
}
