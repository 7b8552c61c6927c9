package host_test

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"testing"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// BenchmarkStart measures one plugin start through a new Registry (exec,
// handshake, describe, configure, first token), with and without a sha256
// pin: the difference is what verifying the pin costs.
func BenchmarkStart(b *testing.B) {
	for _, pinned := range []bool{false, true} {
		name := "pin=none"
		cfg := host.ProviderConfig{Path: testbin.Path("fault"), Settings: map[string]string{"behavior": "ok"}}
		if pinned {
			name = "pin=sha256"
			data, err := os.ReadFile(testbin.Path("fault"))
			if err != nil {
				b.Fatal(err)
			}
			sum := sha256.Sum256(data)
			cfg.SHA256 = hex.EncodeToString(sum[:])
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)))
				if err := reg.Register("p", cfg); err != nil {
					b.Fatal(err)
				}
				if _, err := reg.Token(b.Context(), "p"); err != nil {
					b.Fatal(err)
				}
				reg.Close()
			}
		})
	}
}
