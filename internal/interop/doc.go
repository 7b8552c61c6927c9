// Package interop tests the oauth2 provider's binary, through the
// tokenplug host, against an authorization server tokenplug did not write:
// ory/fosite, started by the tests on 127.0.0.1. It is a Go module of its
// own so that tokenplug's go.mod does not gain fosite's dependencies; make
// test runs it. It holds tests only.
package interop
