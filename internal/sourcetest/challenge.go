package sourcetest

import (
	"log/slog"
	"testing"

	"github.com/tokenplug/tokenplug/host"
)

// FaultChallenger registers the fault plugin at bin (testbin.Path("fault"))
// as provider "f" for 127.0.0.1 in a registry of its own, closed when the
// test ends: its token source answers challenges with the scopes in
// allowed, or, with allowed "-", is no ChallengeTokenSource. args go to
// the binary (--no-challenges: an SDK before challenges).
func FaultChallenger(t testing.TB, bin, allowed string, args ...string) *host.Source {
	t.Helper()
	reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)))
	t.Cleanup(func() { reg.Close() })
	settings := map[string]string{"behavior": "ok"}
	if allowed != "-" {
		settings["answer_challenges"], settings["challenge_scopes"] = "yes", allowed
	}
	return Register(t, reg, "f", host.ProviderConfig{Path: bin, Args: args, Hosts: []string{"127.0.0.1"}, Settings: settings})
}
