package grpccreds_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/status"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/grpccreds"
)

type failing struct{ err error }

func (f failing) Token(context.Context) (*oauth2.Token, error) { return nil, f.err }

// The status message names the provider once and the kind once, whether
// the source's error is plain or already names its provider (the old
// message said `provider "watson": permanent error:` twice).
func TestStatusMessageNamesTheProviderOnce(t *testing.T) {
	cause := errors.New("upstream said 400")
	tests := map[string]error{
		"plain cause":      tokenplug.Permanent(cause),
		"host-named cause": &tokenplug.Error{Provider: "watson", Kind: tokenplug.KindPermanent, Err: tokenplug.Permanent(cause)},
	}
	for name, srcErr := range tests {
		t.Run(name, func(t *testing.T) {
			creds := grpccreds.New(failing{srcErr}, grpccreds.WithName("watson"), grpccreds.AllowInsecure(), grpccreds.WithHosts("*"))
			_, err := creds.GetRequestMetadata(context.Background(), "https://api.example.com/svc")
			msg := status.Convert(err).Message()
			if n := strings.Count(msg, `"watson"`); n != 1 {
				t.Errorf("names the provider %d times: %s", n, msg)
			}
			if n := strings.Count(msg, "permanent"); n != 1 {
				t.Errorf("says the kind %d times: %s", n, msg)
			}
			if !errors.Is(err, tokenplug.ErrPermanent) || !errors.Is(err, cause) {
				t.Errorf("err %v does not reach its cause", err)
			}
		})
	}
}
