package plugin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	spb "google.golang.org/genproto/googleapis/rpc/status"
)

// Every classification a provider can return must reach the host with the
// same kind, retry-after, keys and message, through a real gRPC status.
func TestErrorClassificationSurvivesTheGRPCStatus(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		code      codes.Code
		kind      Kind
		is        error
		retry     time.Duration
		keys      []string
		wantInMsg string
	}{
		{name: "permanent", err: Permanent(errors.New("key revoked")), code: codes.Unauthenticated,
			kind: KindPermanent, is: ErrPermanent, wantInMsg: "key revoked"},
		{name: "wrapped permanent", err: fmt.Errorf("tokenplug/x: %w", Permanent(errors.New("bad key"))), code: codes.Unauthenticated,
			kind: KindPermanent, is: ErrPermanent, wantInMsg: "tokenplug/x: bad key"},
		{name: "temporary", err: Temporary(errors.New("upstream 503")), code: codes.Unavailable,
			kind: KindTemporary, is: ErrTemporary, wantInMsg: "upstream 503"},
		{name: "unclassified is temporary", err: errors.New("who knows"), code: codes.Unavailable,
			kind: KindTemporary, is: ErrTemporary, wantInMsg: "who knows"},
		{name: "rate limited with retry-after", err: RateLimited(errors.New("slow down"), 42*time.Second), code: codes.ResourceExhausted,
			kind: KindRateLimited, is: ErrRateLimited, retry: 42 * time.Second, wantInMsg: "slow down"},
		{name: "rate limited without retry-after", err: RateLimited(errors.New("slow down"), 0), code: codes.ResourceExhausted,
			kind: KindRateLimited, is: ErrRateLimited},
		{name: "configuration", err: &Error{Kind: KindConfig, Err: errors.New("not configured")}, code: codes.InvalidArgument,
			kind: KindConfig, is: ErrConfig, wantInMsg: "not configured"},
		{name: "setting errors keep their keys", err: SettingErrors{{Key: "region", Message: "unknown"}, {Key: "api_key", Message: "required"}},
			code: codes.InvalidArgument, kind: KindConfig, is: ErrConfig, keys: []string{"region", "api_key"}},
		{name: "one setting error", err: fmt.Errorf("x: %w", SettingError{Key: "lifetime", Message: "too long"}),
			code: codes.InvalidArgument, kind: KindConfig, is: ErrConfig, keys: []string{"lifetime"}},
		{name: "deadline", err: fmt.Errorf("fetch: %w", context.DeadlineExceeded), code: codes.DeadlineExceeded,
			kind: KindTemporary, is: context.DeadlineExceeded},
		{name: "cancelled", err: fmt.Errorf("fetch: %w", context.Canceled), code: codes.Canceled,
			kind: KindTemporary, is: context.Canceled},
		{name: "deadline inside a permanent wrapper is still a deadline", err: Permanent(context.DeadlineExceeded), code: codes.DeadlineExceeded,
			kind: KindTemporary, is: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wire := toStatus(tt.err)
			if got := status.Code(wire); got != tt.code {
				t.Fatalf("code %v, want %v", got, tt.code)
			}
			back := fromStatus(overTheWire(t, wire))
			if KindOf(back) != tt.kind {
				t.Errorf("kind %v, want %v", KindOf(back), tt.kind)
			}
			if !errors.Is(back, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", back, tt.is)
			}
			if RetryAfterOf(back) != tt.retry {
				t.Errorf("retry-after %v, want %v", RetryAfterOf(back), tt.retry)
			}
			if tt.keys != nil {
				var keys []string
				for _, se := range settingErrorsOf(back) {
					keys = append(keys, se.Key)
				}
				if !slices.Equal(keys, tt.keys) {
					t.Errorf("keys %v, want %v", keys, tt.keys)
				}
			}
			if tt.wantInMsg != "" && back.Error() != tt.wantInMsg {
				t.Errorf("message %q, want %q", back.Error(), tt.wantInMsg)
			}
		})
	}
}

// overTheWire marshals a status as gRPC does and unmarshals it, as the host
// receives it.
func overTheWire(t *testing.T, err error) error {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok {
		t.Fatalf("%v is not a status", err)
	}
	b, merr := proto.Marshal(st.Proto())
	if merr != nil {
		t.Fatal(merr)
	}
	var sp spb.Status
	if err := proto.Unmarshal(b, &sp); err != nil {
		t.Fatal(err)
	}
	return status.ErrorProto(&sp)
}

func TestErrorsThatAreNotStatusesComeBackTemporary(t *testing.T) {
	err := fromStatus(errors.New("connection reset"))
	if KindOf(err) != KindTemporary || err.Error() != "connection reset" {
		t.Fatalf("got %v (%v)", err, KindOf(err))
	}
}

func TestKindStrings(t *testing.T) {
	for k, want := range map[Kind]string{KindTemporary: "temporary", KindPermanent: "permanent", KindRateLimited: "rate limited", KindConfig: "configuration"} {
		if k.String() != want {
			t.Errorf("%d: %q, want %q", k, k.String(), want)
		}
	}
}
