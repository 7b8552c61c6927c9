package host

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/plugin"
)

// A plugin built with an SDK that does not scrub its errors sends its
// secret in a setting error's message: the host's scrubbed error must not
// hand it back through errors.As either.
func TestRedactErrScrubsTheSettingErrorsInTheChainToo(t *testing.T) {
	var r redactor
	r.set([]string{"s3cret-value-1"})
	err := r.redactErr(plugin.SettingErrors{{Key: "password", Message: "rejected s3cret-value-1 \x1b]0;x\x07"}})
	var se plugin.SettingErrors
	if !errors.As(err, &se) || !errors.Is(err, plugin.ErrConfig) {
		t.Fatalf("the setting errors are gone from the chain: %#v", err)
	}
	for _, text := range []string{err.Error(), se[0].Message} {
		if strings.Contains(text, "s3cret-value-1") || strings.Contains(text, "\x1b") {
			t.Errorf("scrubbed error still shows the secret or a control: %q", text)
		}
	}
}
