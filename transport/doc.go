// Package transport provides an http.RoundTripper that puts access tokens on
// outgoing requests:
//
//	tr := transport.New(client.Transport, src, transport.WithHosts("api.example.com"))
//	client.Transport = tr
//
// where src is a *host.Source from a tokenplug registry, or any
// oauth2.TokenSource through [FromOAuth2].
//
// # What it does
//
//   - Asks the source for a token on every request bound for one of its hosts
//     and sets it on a clone of the request: "Authorization: Bearer <token>",
//     or the token's raw value in the header the provider names (for example
//     Azure's Ocp-Apim-Subscription-Key). The caller's request is never
//     modified, and the returned Response's Request is the caller's request,
//     not the clone that carried the token.
//   - Sends requests to other hosts unchanged and without asking the source.
//     The hosts come from [WithHosts], or else from the source (a host.Source
//     knows those configured for its provider, else its plugin's default
//     hosts). With neither, every request fails naming the provider: the
//     token goes nowhere unless told where, and only an explicit "*" means
//     anywhere. Package hostmatch defines the patterns, shared with grpccreds.
//   - Refuses to put a token on a plain http request to a host that is not
//     loopback, unless the user opted in ([AllowInsecure], or the provider's
//     allow_insecure): such a request fails with [ErrInsecure], unsent. Each
//     redirect hop is checked again.
//   - Decides per redirect hop, since it sets the header inside RoundTrip
//     where http.Client's own stripping cannot see it: a hop gets the token
//     only if it and every hop before it have the original request's scheme,
//     host and port, and it is in scope.
//   - On a 401 from a source that is an [Invalidator], drops the rejected
//     token and retries once with a fresh one, when the body can be replayed.
//   - Answers a server's Bearer challenge (WWW-Authenticate, RFC 6750 §3): a
//     401 asking for a scope, claims (Entra ID) or a step-up (RFC 9470), or
//     a 403 insufficient_scope, is sent once more with the source's token
//     for that challenge when the source is a [tokenplug.ChallengeSource]
//     (a host.Source is; its provider decides what it may answer, e.g.
//     oauth2's challenge_scopes) and the body can be replayed. The cached
//     token is kept for other requests; a second challenge comes back to
//     the caller as it came, never a loop. A challenge the source cannot
//     answer costs no fetch: the response comes back as it came, and a
//     host.Source logs at debug level the scope it did not allow and why.
//     Headers that do not parse, or are too large, count as no challenge.
//   - Returns a [*TokenError] naming the provider when the source fails, and
//     sends nothing. It adds no token, secret or URL of its own to errors.
//   - Works under any client built on http.Client, including websocket dials
//     such as github.com/coder/websocket's DialOptions.HTTPClient.
//
// # What it does not do
//
// It does not cache, refresh or retry token fetches: the source does (a
// host.Source caches, refreshes ahead of expiry and collapses concurrent
// fetches). It does not retry anything but one 401 (or one answered
// challenge), and never on network errors. It touches no header but the token's, which it sets even if the
// caller already did.
//
// # Concurrency
//
// A Transport is safe for concurrent use by multiple goroutines and should be
// reused, like the base RoundTripper it wraps. It takes no lock: its
// configuration is fixed in New, and the hot path costs the request clone and
// the header value on top of the source's Token call; the scope and scheme
// checks allocate nothing.
package transport
