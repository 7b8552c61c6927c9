// Package plugin is the SDK for tokenplug provider plugins, and the contract
// between a tokenplug host and a plugin binary.
//
// A provider adapts one vendor's auth scheme to [oauth2.TokenSource]. It
// implements [Provider]: Describe declares its name, version and settings
// (with secret flags and defaults); Configure checks the settings and returns
// a token source that fetches a fresh token each time it is called. The host
// caches tokens, refreshes them before they expire and collapses concurrent
// requests, so a provider keeps no cache of its own. See the package example
// for a whole provider.
//
// A plugin binary is a main package, named tokenplug-<name>, that calls
// [Serve]:
//
//	func main() { plugin.Serve(myProvider{}) }
//
// Serve speaks hashicorp/go-plugin's gRPC protocol, version [ProtocolVersion],
// writes its logs as hclog JSON on stderr (the host bridges them into
// log/slog; use [Logger]), never writes to stdout, and exits when the host
// process dies. It serves over mutual TLS with the certificate its host
// made for it, accepting only the host's. Run with the single argument
// "describe" and outside a host, the binary prints its settings schema as
// JSON; [ParseDescription] reads it back.
//
// # Helpers
//
// Settings: [ApplySchema] (what Serve does before Configure), [Duration] and
// [URL] to read typed values, [SettingError], [SettingErrors] and [Errorf] to
// report a bad key. Upstream HTTP: [NewHTTPClient] builds a client whose
// redirects never leave the request's origin ([SameOriginRedirect]); [Do]
// sends a request with the same rule, whatever the client, and classifies
// the answer ([CheckStatus]), reading at most [MaxBodySize]; [DecodeJSON]
// reads a JSON answer without ever quoting it; [Redact] and [Snippet] keep
// secrets out of messages about error responses. Expiry: [ExpiryAfter],
// [ExpiryAfterSeconds], [JWTLifetime] and [JWTTokenExpiry] anchor a vendor's
// relative lifetime to the local clock and reject absurd ones
// ([MaxTokenLifetime]); [CheckExpiry] validates an absolute expiry;
// [JWTExpiry] reads a JWT's exp. Tokens: [WithHeader] for schemes that send
// the token raw in another header, [WithRefreshAt] for a renewal hint.
//
// # Errors
//
// Errors a token source returns should be classified with [Permanent]
// (credentials rejected: do not retry), [Temporary] (retry with backoff) or
// [RateLimited] (retry after a delay); [Do] does it for HTTP responses. The
// classification, retry-after and setting keys cross the gRPC connection
// intact; the host's callers test them with errors.Is (ErrPermanent, ...) and
// [KindOf]. Error text crosses too: it must never contain a secret. The
// kinds, sentinels, [Error] and the token extras are those of the module's
// root package, github.com/tokenplug/tokenplug, under the same names, so
// hosts and applications branch on the values a provider returns.
//
// # Compatibility
//
// The wire contract is plugin/proto at [ProtocolVersion] (currently 1).
// Within a protocol version, changes are additive only (new fields, whose
// zero value means the old behaviour), so a plugin and a host built with any
// SDK releases sharing a protocol version work together, in either order of
// upgrade. A breaking change gets a new protocol version; hosts then accept
// the old and the new version (go-plugin VersionedPlugins) for at least one
// minor release, so plugins can be rebuilt at their own pace. A host refuses
// a plugin built for a version it does not speak at the handshake, with an
// error naming both versions, and the plugin logs the same mismatch.
// The Go API of this package follows semantic versioning with the module.
//
// Use package plugintest to check a provider against this contract from its
// own tests. This package imports nothing from the host side.
package plugin
