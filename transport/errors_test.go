package transport_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/transport"
)

// A TokenError names its provider once: it adds the name only when its
// cause does not already say it, and errors.Is still reaches the cause.
func TestTokenErrorNamesTheProviderOnce(t *testing.T) {
	cause := errors.New("upstream said 400")
	tests := map[string]error{
		"plain cause":         tokenplug.Permanent(cause),
		"host-named cause":    &tokenplug.Error{Provider: "watson", Kind: tokenplug.KindPermanent, Err: tokenplug.Permanent(cause)},
		"cause quoting it":    errors.Join(errors.New(`lookup: provider "watson" unknown`), tokenplug.Permanent(cause)),
		"wrapped named cause": errors.Join(&tokenplug.Error{Provider: "watson", Kind: tokenplug.KindPermanent, Err: cause}),
	}
	for name, err := range tests {
		t.Run(name, func(t *testing.T) {
			te := &transport.TokenError{Provider: "watson", Err: err}
			msg := te.Error()
			if n := strings.Count(msg, `"watson"`); n != 1 {
				t.Errorf("names the provider %d times: %s", n, msg)
			}
			if !strings.HasPrefix(msg, "tokenplug/transport: ") || !errors.Is(te, tokenplug.ErrPermanent) || !errors.Is(te, cause) {
				t.Errorf("TokenError %q does not start with the package or does not reach its cause", msg)
			}
		})
	}
}
