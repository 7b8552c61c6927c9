// Package interop tests the oauth2 provider's binary, through the
// tokenplug host, against authorization servers tokenplug did not write,
// started by the tests on 127.0.0.1: ory/fosite (client authentication,
// jwt-bearer, refresh rotation, §5.2 errors) and zitadel/oidc's OpenID
// Provider (discovery, token exchange). It is a Go module of its own so
// that tokenplug's go.mod does not gain their dependencies; make test runs
// it. It holds tests only.
package interop
