// Package host is the application side of tokenplug: a Registry of named
// providers, each a Source of tokens backed by a plugin binary that the
// registry launches with hashicorp/go-plugin.
//
// Register checks a provider's configuration once (see
// ProviderConfig.Validate): every bad value is a *ConfigError naming its
// path, such as hosts[1] or sha256. The registry starts a provider's
// plugin on first use, or at once: Warm starts every plugin and fetches
// every first token, returning each provider's error (a mistyped plugin
// name, a setting the plugin does not declare), and WithWarmOnRegister
// does the same in the background. It starts a plugin with a clean
// environment (see DefaultEnv), over a mutually authenticated TLS channel
// (one P-256 certificate per Registry, one per plugin start), optionally
// after checking the binary's SHA-256. It sends the provider's settings
// through Configure, the only way secrets reach a plugin. A plugin that
// exits or stops answering is killed and started again, with backoff;
// plugins exit on their own when the host process dies. The providers of
// one plugin binary share its process, each an isolated instance in it
// (ProviderConfig.Isolate opts out); Remove ends one provider, releasing
// its instance, and the process stops with its last provider.
//
// A Source caches its provider's token and refreshes it in the background
// before it expires; see Source for the guarantees. transport and grpccreds
// take a *Source directly:
//
//	reg := host.NewRegistry()
//	defer reg.Close()
//	if err := reg.Register("watson", host.ProviderConfig{Plugin: "iam", Settings: map[string]string{"apikey": key}}); err != nil {
//		return err
//	}
//	if err := reg.Warm(ctx); err != nil { // optional: start now, not on the first request
//		return err
//	}
//	src, err := reg.Source("watson")
//	if err != nil {
//		return err
//	}
//	client := &http.Client{Transport: transport.New(nil, src)}
//
// A provider's token goes only to its hosts: ProviderConfig.Hosts if set,
// else the default hosts its plugin declares (the iam plugin's are IBM
// Cloud's, *.cloud.ibm.com and *.mybluemix.net), else nowhere: transport
// and grpccreds then fail every request, naming the provider. Only
// Hosts: []string{"*"} sends it anywhere. Neither sends it over plain http
// to a host other than loopback unless ProviderConfig.AllowInsecure is set.
// A plugin runs as the same user as the application: tokenplug keeps
// secrets from other hosts and from logs, not from the plugin binaries the
// user chose to run.
//
// Package hostconfig reads the tokenplug.yaml the CLI uses and builds a
// Registry from it, with the shared cache it asks for; host itself links
// neither YAML nor Redis.
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
//
// # Metrics and traces
//
// A Registry records OpenTelemetry metrics and spans through the API only;
// the application brings the SDK and an exporter (Prometheus, OTLP) and
// passes its providers with WithMeterProvider and WithTracerProvider
// (default: the global ones, otel.GetMeterProvider()). Nothing is recorded
// on the cached path of Source.Token, only on fetches, plugin starts,
// invalidations and shared-cache lookups. Every metric carries
// tokenplug.provider, the provider's registered name, except plugin starts
// and restarts: a plugin process may serve many providers, so those carry
// tokenplug.plugin, the plugin binary's file name (or the configuration's
// plugin name), instead:
//
//	name                            unit           attributes besides tokenplug.provider
//	tokenplug.fetches               {fetch}        tokenplug.outcome (ok, error), error.type on error
//	tokenplug.fetch.duration        s (histogram)  tokenplug.outcome; a plugin start is included
//	tokenplug.token.expiry          s (gauge)      -; time until the cached token's expiry, on the
//	                                               host's clock; negative: expired, not renewed;
//	                                               absent: no token, or one that never expires
//	tokenplug.refresh.failures      {failure}      error.type; failed fetches while a valid token
//	                                               was still served
//	tokenplug.plugin.starts         {start}        tokenplug.plugin (not tokenplug.provider),
//	                                               tokenplug.outcome, error.type on error
//	tokenplug.plugin.restarts       {restart}      tokenplug.plugin (not tokenplug.provider),
//	                                               tokenplug.reason (exited, unresponsive, died_in_fetch)
//	tokenplug.shared_cache.lookups  {lookup}       tokenplug.result (hit, miss, fallback, error)
//	tokenplug.invalidations         {invalidation} tokenplug.result (dropped; kept: within the
//	                                               invalidation window)
//
// error.type is the error's kind: temporary, permanent, rate_limited or
// configuration. Each upstream fetch, never a request, is a span
// tokenplug.fetch with tokenplug.provider, tokenplug.force_refresh,
// tokenplug.outcome and error.type; its status on error is the kind alone.
// No attribute holds a token, a setting or an error message.
//
// # Logs
//
// A plugin's log lines are bridged into the Registry's logger (WithLogger).
// A line the plugin logged for one provider (the SDK tags it when the
// provider logs with the context it was called with) carries
// provider=NAME and is scrubbed of that provider's secret settings; a line
// of the plugin process (its stdout and stderr, untagged lines, go-plugin's
// own) carries plugin=PATH and providers=N, the providers it serves, and is
// scrubbed of all their secrets. Control characters in either are escaped. A SharedCache
// reports fetching without its tier with ReportCacheFallback.
package host
