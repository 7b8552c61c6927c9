package grpccreds

import (
	"context"
	"sync"

	"golang.org/x/oauth2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// A call's tokens are tracked in a usage placed in the call's context by an
// interceptor, and filled in by GetRequestMetadata. Keeping it per call, not
// in the PerRPC, means concurrent calls never see each other's tokens, and an
// Unauthenticated answer invalidates exactly the token that call sent, even
// if another goroutine has refreshed the source meanwhile.
type usage struct {
	mu   sync.Mutex // guards used
	used []used

	// What the server sent back, for its WWW-Authenticate (challenge.go),
	// and room for the call options that capture it, so that the options
	// cost no allocation of their own.
	header, trailer metadata.MD
	opts            [4]grpc.CallOption
	answer          *used // a token answering a challenge, sent instead of src's own; set before the call
}

type used struct {
	src TokenSource
	tok *oauth2.Token
}

type usageKey struct{}

// recordUse notes that tok from src went out on the call tracked by u
// (usageOf; nil if no interceptor is tracking it). gRPC may call GetRequestMetadata
// again for a transparent retry, from another goroutine; hence the lock.
func recordUse(u *usage, src TokenSource, tok *oauth2.Token) {
	if u == nil {
		return
	}
	u.mu.Lock()
	u.used = append(u.used, used{src, tok})
	u.mu.Unlock()
}

// invalidate tells each source that supports it that its token was
// rejected. It reports whether any did, i.e. whether a retry can carry a
// different token.
func (u *usage) invalidate() bool {
	u.mu.Lock()
	list := u.used
	u.used = nil // a second report for this attempt invalidates nothing
	u.mu.Unlock()
	did := false
	for _, x := range list {
		if inv, ok := x.src.(Invalidator); ok {
			inv.Invalidate(x.tok)
			did = true
		}
	}
	return did
}

// usageOf returns the usage of the call whose context is ctx, or nil.
func usageOf(ctx context.Context) *usage {
	u, _ := ctx.Value(usageKey{}).(*usage)
	return u
}

func track(ctx context.Context) (context.Context, *usage) {
	u := &usage{}
	return context.WithValue(ctx, usageKey{}, u), u
}

func unauthenticated(err error) bool { return status.Code(err) == codes.Unauthenticated }

// UnaryClientInterceptor returns an interceptor that, when the server
// answers a unary call with Unauthenticated, invalidates the token the call
// sent and retries the call once, which fetches a fresh token. When the
// refusal (Unauthenticated, or PermissionDenied with insufficient_scope)
// carries a Bearer challenge in a "www-authenticate" header or trailer
// (RFC 6750 §3) that asks for another token, it asks the source for a
// token answering it instead and retries once with that (see
// [tokenplug.ChallengeSource]); the source's default token is not
// invalidated. A challenge the source cannot answer costs no fetch and
// no retry: the call's error comes back with the same code, saying which
// scope was missing and why the provider did not answer (for oauth2, its
// challenge_scopes setting). It retries
// only when a token was actually sent (so not when the credentials
// themselves failed) and its source is an Invalidator (otherwise the retry
// would send the same token). If the retry is rejected too, its error is
// returned: a token fetched a moment ago being refused means the credentials
// are wrong, not stale, and asking again would only loop.
//
// Retrying assumes the server rejects unauthenticated calls before acting
// on them, as gRPC auth interceptors do.
func UnaryClientInterceptor() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		tctx, u := track(ctx)
		err := invoker(tctx, method, req, reply, cc, u.capture(opts)...)
		if err == nil || ctx.Err() != nil {
			return err
		}
		if c, ok := u.challenge(err); ok {
			return u.answerChallenge(ctx, c, err, func(ctx context.Context, u *usage) error {
				return invoker(ctx, method, req, reply, cc, u.capture(opts)...)
			})
		}
		if !unauthenticated(err) || !u.invalidate() {
			return err
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// StreamClientInterceptor returns an interceptor that, when the server
// answers a stream with Unauthenticated, invalidates the token the stream
// sent, so that the next stream fetches a fresh one, unless the refusal's
// trailer carries a challenge asking for another token (insufficient_scope,
// claims: RFC 6750 §3), which a fresh default token cannot answer. It does
// not retry: by
// the time the rejection arrives the application may have sent messages
// through the stream, which the interceptor would have to buffer to replay,
// and it cannot know whether replaying them is safe. The caller sees the
// Unauthenticated error and may open a new stream.
func StreamClientInterceptor() grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		tctx, u := track(ctx)
		cs, err := streamer(tctx, desc, cc, method, opts...)
		if err != nil {
			if unauthenticated(err) {
				u.invalidate()
			}
			return nil, err
		}
		return &stream{ClientStream: cs, usage: u}, nil
	}
}

// stream watches a client stream's results for the server's rejection.
// RecvMsg and Header may run concurrently with SendMsg; usage is locked.
type stream struct {
	grpc.ClientStream
	usage *usage
}

func (s *stream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if unauthenticated(err) && !s.challenged(err) {
		s.usage.invalidate()
	}
	return err
}

// challenged reports whether the stream's refusal carries a challenge
// asking for another token (RFC 6750 §3): the token was fine, so it is
// not invalidated (a stream is not retried, so the challenge is not
// answered either). The trailer is complete once RecvMsg has failed.
func (s *stream) challenged(err error) bool {
	s.usage.trailer = s.ClientStream.Trailer()
	_, ok := s.usage.challenge(err)
	return ok
}

func (s *stream) Header() (md metadata.MD, err error) {
	md, err = s.ClientStream.Header()
	if unauthenticated(err) {
		s.usage.invalidate()
	}
	return md, err
}
