// Package grpccreds puts tokenplug tokens on outgoing gRPC calls.
//
// New turns a token source into credentials.PerRPCCredentials:
//
//	conn, err := grpc.NewClient(addr,
//		grpc.WithTransportCredentials(credentials.NewTLS(tlsConfig)),
//		grpc.WithPerRPCCredentials(grpccreds.New(src)),
//		grpc.WithChainUnaryInterceptor(grpccreds.UnaryClientInterceptor()),
//		grpc.WithChainStreamInterceptor(grpccreds.StreamClientInterceptor()))
//
// It differs from google.golang.org/grpc/credentials/oauth in three ways that
// matter in production:
//
//   - It checks that the connection has privacy and integrity before it asks
//     for a token, so a misconfigured plaintext channel never causes a token
//     fetch, and never a token on the wire. AllowInsecure turns this off, for
//     loopback tests only.
//   - It passes the RPC's context to the source, so the RPC's deadline and
//     cancellation bound the fetch.
//   - Its errors are gRPC statuses with code Unauthenticated that name the
//     provider and say whether the failure is permanent or temporary, never
//     the token; they still unwrap to the source's error, so
//     errors.Is(err, tokenplug.ErrPermanent) works on the RPC's error. When the
//     RPC's own context ends during the fetch, the code is Canceled or
//     DeadlineExceeded instead: the caller gave up, the credentials are fine.
//
// The interceptors add what a PerRPCCredentials cannot do alone: when the
// server answers Unauthenticated, they invalidate exactly the token that call
// sent, and retry a unary call once with a fresh one. When the refusal
// carries a Bearer challenge in "www-authenticate" metadata (RFC 6750 §3:
// a missing scope, Entra ID claims, an RFC 9470 step-up), the unary
// interceptor asks a source that is a tokenplug.ChallengeSource (a
// *host.Source is) for a token answering it and retries once with that,
// keeping the default token; if the source cannot answer, the server's
// status comes back with the missing scope and the reason added. Streams
// are not retried, challenge or not.
//
// WithProvider picks another provider, by name, for a single call.
//
// A token goes only to the provider's hosts, checked against the channel's
// authority with the rules of package hostmatch, the same as the HTTP
// transport's: the hosts configured for the provider, else its plugin's
// default hosts (a *host.Source knows both), or those given WithHosts. An
// RPC to another server, or on credentials with no hosts at all, fails
// with PermissionDenied naming the provider and the authority, before any
// token is fetched. A provider picked with WithProvider is held to its own
// hosts. A nil source (including the nil *host.Source Registry.Source
// returns with its error) fails every RPC; it never panics.
//
// The header comes from the token: Authorization ("authorization: Bearer
// <token>") unless the provider names another header, such as Azure's
// Ocp-Apim-Subscription-Key, which then carries the raw token. gRPC metadata
// keys are lower case.
package grpccreds
