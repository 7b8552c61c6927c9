package host_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/internal/redact"
)

// A shared plugin process serves a victim and an attacker; the attacker's
// settings quote guesses of the victim's key, which the plugin echoes back
// in its errors. If the attacker's errors were scrubbed of the victim's
// secrets, the one guess that came back "[REDACTED]" would be the key.
func TestATenantsErrorsAreScrubbedOfItsOwnSecretsOnly(t *testing.T) {
	const victimKey = "victim-key-0042"
	guesses := "victim-key-0041 victim-key-0042 victim-key-0043"
	reg, _ := newRegistry(t)
	victim := faultSource(t, reg, "victim", "pid", "password", victimKey)
	victimPID := mustToken(t, victim).AccessToken

	t.Run("configure", func(t *testing.T) {
		attacker := faultSource(t, reg, "attacker", "ok", "password", "attacker-pw-1", "fail_configure", guesses)
		_, err := attacker.Token(ctxT(t))
		if err == nil {
			t.Fatal("want the configuration error")
		}
		checkOwnSecretsOnly(t, err.Error(), guesses, "attacker-pw-1")
	})
	t.Run("token", func(t *testing.T) {
		attacker := faultSource(t, reg, "attacker2", "echo", "password", "attacker-pw-2", "label", guesses)
		_, err := attacker.Token(ctxT(t))
		if err == nil {
			t.Fatal("want the upstream's error")
		}
		checkOwnSecretsOnly(t, err.Error(), guesses, "attacker-pw-2")
		if !strings.Contains(err.Error(), "pid "+victimPID+":") {
			t.Fatalf("the attacker's instance is not in the victim's process %s: %v", victimPID, err)
		}
	})
}

// checkOwnSecretsOnly fails unless msg shows the guesses verbatim and
// masks own, the tenant's own secret.
func checkOwnSecretsOnly(t *testing.T, msg, guesses, own string) {
	t.Helper()
	if !strings.Contains(msg, guesses) {
		t.Errorf("the tenant's own setting is not shown verbatim (another tenant's secret was masked in it): %s", msg)
	}
	if strings.Contains(msg, own) || !strings.Contains(msg, redact.Mask) {
		t.Errorf("the tenant's own secret is not masked: %s", msg)
	}
}

func TestAShortSecretIsWarnedAboutAndBlanksNoOtherText(t *testing.T) {
	reg, logs := newRegistry(t)
	// A one-letter key, as tests and demos use: the fault plugin's error
	// quotes it ("upstream rejected the key k").
	_, err := faultSource(t, reg, "shorty", "permanent", "password", "k").Token(ctxT(t))
	if err == nil {
		t.Fatal("want the upstream's error")
	}
	if want := "upstream rejected the key " + redact.Mask; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q: the key standing alone must be masked, other k's not", err, want)
	}
	warn := regexp.MustCompile(`level=WARN msg="secret setting too short to redact safely" provider=shorty setting=password min_length=6\n`)
	if n := len(warn.FindAllString(logs.String(), -1)); n != 1 {
		t.Errorf("%d warnings about the short secret, want 1:\n%s", n, logs)
	}
	// A second fetch configures nothing new: no second warning.
	_, _ = faultSource(t, reg, "long-enough", "ok", "password", "long-enough-key").Token(ctxT(t))
	if strings.Contains(logs.String(), "provider=long-enough setting=password") {
		t.Errorf("a secret of MinLen bytes was warned about:\n%s", logs)
	}
}
