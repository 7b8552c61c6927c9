// Package host is the application side of tokenplug: a Registry of named
// providers, each a Source of tokens backed by a plugin binary that the
// registry launches with hashicorp/go-plugin.
//
// The registry starts a provider's plugin on first use with a clean
// environment (see DefaultEnv), over a mutually authenticated TLS channel
// (go-plugin's AutoMTLS), optionally after checking the binary's SHA-256. It
// sends the provider's settings through Configure, the only way secrets
// reach a plugin. A plugin that exits or stops answering is killed and
// started again, with backoff; plugins exit on their own when the host
// process dies.
//
// A Source caches its provider's token and refreshes it in the background
// before it expires; see Source for the guarantees. transport and grpccreds
// take a *Source directly:
//
//	reg := host.NewRegistry()
//	defer reg.Close()
//	reg.Register("watson", host.ProviderConfig{Plugin: "iam", Settings: map[string]string{"apikey": key}})
//	src, _ := reg.Source("watson")
//	client := &http.Client{Transport: transport.New(nil, src)}
//
// LoadConfig reads the same tokenplug.yaml the CLI uses, and
// Config.NewRegistry registers every provider in it.
//
// Plugin output (hclog JSON on stderr) is bridged into log/slog, tagged with
// the provider's name; values of settings the plugin declares secret are
// scrubbed from every log line and error.
//
// WithCache adds a second tier shared by many processes (see the rediscache
// package): it is consulted only when the in-memory token is missing, due
// for refresh or rejected, so the hot path stays an atomic load. One process
// fetches for all; if the shared tier fails, each process fetches for
// itself.
package host
