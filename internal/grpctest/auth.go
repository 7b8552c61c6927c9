package grpctest

import (
	"context"
	"slices"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Auth checks the token on incoming RPCs, as a real server would, and
// remembers every value it was shown so tests can assert on what arrived.
// Set its fields before the server starts; it is safe for concurrent use
// afterwards.
type Auth struct {
	// Header is the metadata key carrying the token, lower case. Empty
	// means "authorization".
	Header string
	// Accept reports whether value (the header's full value, e.g.
	// "Bearer abc") is a good credential. Nil rejects everything.
	Accept func(value string) bool
	// Challenge, if set, says how a rejected value is refused: with code
	// and a "www-authenticate" challenge (RFC 6750 §3), sent as a trailer,
	// or as header metadata when ChallengeInHeader is set. An empty
	// challenge is the plain Unauthenticated refusal.
	Challenge         func(value string) (codes.Code, string)
	ChallengeInHeader bool

	mu   sync.Mutex // guards seen
	seen []string
}

// RequireBearer returns an Auth that accepts exactly "authorization: Bearer
// <token>".
func RequireBearer(token string) *Auth {
	want := "Bearer " + token
	return &Auth{Accept: func(v string) bool { return v == want }}
}

// Seen returns the header values received so far, accepted or not, in order.
// An RPC without the header records "".
func (a *Auth) Seen() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.seen)
}

// Unary returns a server interceptor that rejects unauthenticated RPCs with
// codes.Unauthenticated before the handler runs.
func (a *Auth) Unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if err := a.check(ctx); err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
}

// Stream is Unary for streaming RPCs.
func (a *Auth) Stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if err := a.check(ss.Context()); err != nil {
			return err
		}
		return h(srv, ss)
	}
}

func (a *Auth) check(ctx context.Context) error {
	key := a.Header
	if key == "" {
		key = "authorization"
	}
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get(key)
	a.mu.Lock()
	if len(vals) == 0 {
		a.seen = append(a.seen, "")
	} else {
		a.seen = append(a.seen, vals...)
	}
	a.mu.Unlock()
	switch {
	case len(vals) == 0:
		return status.Errorf(codes.Unauthenticated, "grpctest: missing %s", key)
	case len(vals) > 1:
		// Two credentials are ambiguous; a real server must not pick one.
		return status.Errorf(codes.Unauthenticated, "grpctest: %d values for %s", len(vals), key)
	case a.Accept == nil || !a.Accept(vals[0]):
		return a.refuse(ctx, key, vals[0])
	}
	return nil
}

// refuse rejects value, with a challenge if Challenge gives one. The
// message never echoes the value: it is a credential.
func (a *Auth) refuse(ctx context.Context, key, value string) error {
	if a.Challenge != nil {
		if code, c := a.Challenge(value); c != "" {
			md := metadata.Pairs("www-authenticate", c)
			if a.ChallengeInHeader {
				_ = grpc.SetHeader(ctx, md)
			} else {
				_ = grpc.SetTrailer(ctx, md)
			}
			return status.Errorf(code, "grpctest: %s refused with a challenge", key)
		}
	}
	return status.Errorf(codes.Unauthenticated, "grpctest: %s rejected", key)
}
