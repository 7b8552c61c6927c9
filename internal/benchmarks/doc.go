// Package benchmarks measures what tokenplug costs per request and per
// token, side by side with the standard alternatives: golang.org/x/oauth2's
// Transport and ReuseTokenSource, and grpc's credentials/oauth.TokenSource.
// It also measures what running a provider out of process costs: a fetch
// through the plugin RPC against the same provider in process, a plugin's
// cold start, the thundering herd at expiry, and a plugin's resident memory.
//
// It holds only benchmarks (in its _test.go files); the package itself is
// empty. Run them with scripts/bench.sh; BENCHMARKS.md has the results.
//
// Sub-benchmarks are named key=value (impl=oauth2, impl=tokenplug) so that
// benchstat can put each tokenplug result beside its anchor:
//
//	benchstat -col /impl results.txt
package benchmarks
