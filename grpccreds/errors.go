package grpccreds

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tokenplug/tokenplug"
)

// ErrInsecure is the cause of the error returned when the credentials refuse
// a connection without privacy and integrity.
var ErrInsecure = errors.New("connection lacks privacy and integrity")

// statusError is a gRPC status that still unwraps to its cause. gRPC reads
// the status through GRPCStatus and passes the error itself up to the
// caller, so errors.Is(err, tokenplug.ErrPermanent) works on the RPC's error.
type statusError struct {
	st    *status.Status
	cause error
}

func (e *statusError) Error() string              { return e.st.Err().Error() }
func (e *statusError) GRPCStatus() *status.Status { return e.st }
func (e *statusError) Unwrap() error              { return e.cause }

func newStatusError(code codes.Code, cause error, format string, args ...any) error {
	return &statusError{st: status.Newf(code, format, args...), cause: cause}
}

// insecureError refuses a plaintext connection. It is Unauthenticated, the
// code gRPC itself uses for this refusal.
func insecureError(name string, why error) error {
	return newStatusError(codes.Unauthenticated, fmt.Errorf("%w: %w", ErrInsecure, why),
		"tokenplug/grpccreds: provider %q: refusing to send a token on a connection without privacy and integrity (%v); "+
			"dial with TLS, or use AllowInsecure for loopback tests", name, why)
}

// tokenError reports that provider name could not supply a token. When the
// RPC's own context ended, the code says so (Canceled, DeadlineExceeded):
// the caller gave up, the credentials are not at fault. Otherwise it is
// Unauthenticated, and the message says whether the failure is permanent
// (fix the configuration) or temporary (retry later). The source's error is
// included: sources keep secrets out of their errors, and the token was
// never obtained, so it cannot leak here.
//
// The message adds only what err does not already say: an error that names
// its provider and kind (a *tokenplug.Error with a Provider, as a
// host.Source returns) gets neither again, and one whose text already names
// the provider (a registry's "unknown provider") gets only the kind.
func tokenError(ctx context.Context, name string, err error) error {
	typed := tokenplug.ProviderOf(err) != ""
	who := "provider " + strconv.Quote(name) + ": "
	if typed || strings.Contains(err.Error(), strconv.Quote(name)) {
		who = ""
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return newStatusError(status.FromContextError(ctxErr).Code(), err,
			"tokenplug/grpccreds: %sno token: %v", who, err)
	}
	if typed {
		return newStatusError(codes.Unauthenticated, err, "tokenplug/grpccreds: no token: %v", err)
	}
	return newStatusError(codes.Unauthenticated, err,
		"tokenplug/grpccreds: %s%s error: %v", who, tokenplug.KindOf(err), err)
}
