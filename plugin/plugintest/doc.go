// Package plugintest is a conformance kit for tokenplug provider plugins.
// A plugin author calls it from their own go test:
//
//	func TestConformance(t *testing.T) {
//		plugintest.Run(t, plugintest.Config{
//			Package:  "./cmd/tokenplug-acme",            // or Binary: a built plugin
//			Settings: map[string]string{"api_key": "k"}, // settings that work
//		})
//	}
//
//	func TestProvider(t *testing.T) {
//		plugintest.RunProvider(t, acme.Provider{}, map[string]string{"api_key": "k"})
//	}
//
// Run builds the plugin (or takes the binary), launches it through the real
// tokenplug host and checks, each in its own sub-test, what hosts and users
// rely on: the "describe" command prints the schema as JSON and nothing
// else; the description is well-formed (a lower-case name, a version,
// unique snake_case keys, no required key with a default); Configure
// rejects each missing required setting and an undeclared one by key; Token
// returns a usable token with a sane expiry, twice; a plugin that serves
// many provider instances in one process keeps them apart (instances with
// working settings and with wrong secrets configured at once: each working
// one gets a token, no error quotes another's secret or token, a released
// instance serves no more tokens); the plugin writes
// nothing to stdout; and no secret setting value, nor the token, appears in
// the plugin's stderr or the host's logs, even when a secret is wrong.
//
// RunProvider makes the in-process subset of those checks, with no binary:
// fast enough for every unit test run. For a provider that implements
// plugin.HostsForSettings it also checks that the default hosts it gives
// for the settings are among those it declares (Run sees it through the
// host, which refuses the configuration otherwise).
//
// RunFaults checks how a provider reports a failing upstream: the test
// supplies the upstream (an http.Handler, such as an emulator of the
// vendor) and settings that point at it, and the kit serves it on loopback
// and answers instead with each Fault in turn (DefaultFaults: 400, 401,
// 403, 429 with Retry-After, 5xx, 200s that are not a token answer,
// redirects to another origin, no answer). Each error must have the fault's kind (and retry-after), start
// with the provider's prefix, stay short, and quote no piece of a secret
// setting or of a token; the token source must work again once the fault
// clears; the origin a redirect points to must see no request. Append a
// vendor's own Faults, or BadAnswers for its nonsense 200s; a Fault with
// Settings (a key the vendor does not know) checks the vendor's own
// refusal, with nothing injected.
// Config.Upstream runs the same faults through the host.
//
// For a test's own cases: Configure configures a provider as a host does
// (schema, then Configure), MustConfigure or fails the test; CheckError and CheckSettingError check an
// error's prefix, length or setting key, and that it quotes no piece of a secret
// (ContainsPart); CheckSecretSettings checks which settings the description
// marks Secret against the test's list of every key; ServeBody is a token
// endpoint that answers one body;
// UnsignedJWT makes a token with the claims a test needs; Recorder keeps
// the last request an emulator received, to check what a provider sends.
//
// Settings are the test's own: point them at a local emulator of the
// vendor (httptest), never at a real endpoint with real credentials. Run
// launches the plugin with a clean environment, as the host does.
//
// The kit never lets a provider reach anything but loopback: in-process,
// the SDK's HTTP clients (plugin.NewHTTPClient, plugin.Do with a nil
// client) refuse other hosts while the kit runs, before any DNS lookup,
// and the client it hands Upstream.WithClient always does; through the
// host, the plugin runs with HTTP_PROXY and HTTPS_PROXY pointing at a
// loopback proxy that refuses every request. Either way the check fails
// naming the host the provider tried (a default URL the test forgot to
// override, say).
//
// Every call the kit makes is bounded: a provider that does not return
// within a second of its context's deadline fails, with the fix ("pass ctx
// to the request"), instead of hanging the test. A failed check quotes the
// offending error once, cut to 200 bytes, and reports the line of the
// test's call to the kit. Errors are limited to MaxErrorLen bytes, the
// same in-process and through the host. An error the provider did not
// classify is said to be unclassified. A token source without
// TokenContext fails, as does a URL setting that accepts plain http to a
// host that is not loopback (use plugin.URL), and a setting not marked
// Secret whose value the kit sees the provider send as a credential (the
// Authorization header, a header, query, form or JSON member named like a
// credential) in a request to its upstream, or, in RunProvider, in a
// plain-http request the SDK's client sends to loopback.
//
// Findings a host could live with (a setting whose name looks secret but is
// not marked Secret and that the kit did not see sent, a token valid for
// more than a year) are logged with t.Log, not failed.
package plugintest
