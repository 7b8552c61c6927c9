// Package plugin is the SDK for tokenplug provider plugins, and the contract
// between a tokenplug host and a plugin binary.
//
// A provider adapts one vendor's auth scheme to [oauth2.TokenSource]. It
// describes its settings, validates them in Configure, and returns a token
// source that fetches a fresh token each time it is called: the host caches
// tokens, refreshes them before they expire and collapses concurrent
// requests, so a provider keeps no cache of its own.
//
// A plugin binary is a main package that calls [Serve]:
//
//	func main() { plugin.Serve(myProvider{}) }
//
// Serve speaks hashicorp/go-plugin's gRPC protocol, version [ProtocolVersion],
// writes its logs as hclog JSON on stderr (the host bridges them into
// log/slog), never writes to stdout, and exits when the host process dies.
// Run with the single argument "describe" and outside a host, the binary
// prints its settings schema as JSON.
//
// Errors a token source returns should be classified with [Permanent],
// [Temporary] or [RateLimited] (see [CheckStatus] and [Do] for HTTP responses), so
// the host knows whether to retry. Setting problems are [SettingErrors].
//
// This package imports nothing from the host side.
package plugin
