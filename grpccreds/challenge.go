package grpccreds

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	"golang.org/x/oauth2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/internal/wwwauth"
)

// capture returns opts plus the options that capture the call's header and
// trailer metadata into u, in u's own room when opts are few (no
// allocation). The caller's own Header and Trailer options still work.
func (u *usage) capture(opts []grpc.CallOption) []grpc.CallOption {
	u.header, u.trailer = nil, nil
	return append(append(u.opts[:0], opts...), grpc.Header(&u.header), grpc.Trailer(&u.trailer))
}

// challenge returns the Bearer challenge of a refused call that asks for
// another token: a www-authenticate value (trailer first, where gRPC
// servers put a call's refusal, then header) on Unauthenticated, or on
// PermissionDenied with insufficient_scope (as HTTP's 403).
func (u *usage) challenge(err error) (tokenplug.Challenge, bool) {
	code := status.Code(err)
	if code != codes.Unauthenticated && code != codes.PermissionDenied {
		return tokenplug.Challenge{}, false
	}
	return wwwauth.Refusal(slices.Concat(u.trailer.Get("www-authenticate"), u.header.Get("www-authenticate")), code == codes.PermissionDenied)
}

// answerChallenge gets a token answering c from the source whose token the
// call sent, and makes the call once more with it (call). If the source
// cannot answer, refused comes back with the reason added.
func (u *usage) answerChallenge(ctx context.Context, c tokenplug.Challenge, refused error, call func(context.Context, *usage) error) error {
	u.mu.Lock()
	list := u.used
	u.mu.Unlock()
	if len(list) == 0 {
		return refused // the token was not ours (another credential's)
	}
	x := list[len(list)-1]
	cs, ok := x.src.(tokenplug.ChallengeSource)
	if !ok {
		return unanswered(refused, nameOf(x.src), c, tokenplug.Permanent(fmt.Errorf("the token source answers no challenges")))
	}
	tok, err := cs.TokenForChallenge(ctx, c)
	if err == nil && (tok == nil || tok.AccessToken == "") {
		err = errEmptyToken()
	}
	if err != nil {
		return unanswered(refused, nameOf(x.src), c, err)
	}
	rctx, ru := track(ctx)
	ru.answer = &used{src: x.src, tok: tok}
	err = call(rctx, ru)
	if unauthenticated(err) {
		if _, again := ru.challenge(err); !again {
			ru.invalidate() // the answer itself was refused: the next challenge gets a fresh one
		}
	}
	return err
}

// unanswered is the call's refusal with why the challenge was not
// answered: same code and details, the message extended. The scope is the
// server's word, not a secret; the cause names the provider's setting
// (oauth2: challenge_scopes).
func unanswered(refused error, name string, c tokenplug.Challenge, why error) error {
	st := status.Convert(refused).Proto()
	what := c.Error
	if c.Scope != "" {
		what += fmt.Sprintf(", scope %q", c.Scope)
	}
	st.Message += fmt.Sprintf("; tokenplug/grpccreds: provider %q did not answer the server's challenge (%s): %v", name, what, why)
	return &statusError{st: status.FromProto(st), cause: why}
}

// tokenFor returns the token a call sends from src: the one answering a
// challenge when this is the call's retry for it, else src's own.
func (u *usage) tokenFor(ctx context.Context, src TokenSource) (*oauth2.Token, error) {
	if u != nil && u.answer != nil && sameSource(u.answer.src, src) {
		return u.answer.tok, nil
	}
	return src.Token(ctx)
}

// sameSource compares sources without panicking on an uncomparable type.
func sameSource(a, b TokenSource) bool {
	ta := reflect.TypeOf(a)
	return ta == reflect.TypeOf(b) && ta.Comparable() && a == b
}
