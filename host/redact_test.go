package host_test

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host/internal/poll"
	"github.com/tokenplug/tokenplug/internal/redact"
	"github.com/tokenplug/tokenplug/internal/syncbuf"
)

func TestPluginOutputNeverShowsASecretItsEncodingsOrItsLines(t *testing.T) {
	secrets := map[string]string{
		"single line": "s3cr3t+value/with=odd&chars-0123456789",
		// An RSA key's PEM is longer than the 1 KiB chunks go-plugin
		// forwards stdout in, so some of its lines arrive cut in two.
		"pem": symphonySettings()["private_key"],
	}
	for name, secret := range secrets {
		t.Run(name, func(t *testing.T) {
			reg, logs := newRegistry(t)
			// The fault plugin prints the secret, its base64 forms and a
			// Basic header built from it on stdout, on stderr and in its
			// log, and returns them in its error (see faultplugin).
			_, err := faultSource(t, reg, "leak", "leakencoded", "password", secret).Token(ctxT(t))
			if err == nil {
				t.Fatal("want the plugin's error")
			}
			waitForLogs(t, logs, "leak-done-stdout", "leak-done-stderr", "leak-done-log")
			reg.Close() // flushes partial lines
			for where, text := range map[string]string{"log": logs.String(), "error": err.Error()} {
				if leak := findLeak(text, secret); leak != "" {
					t.Errorf("%s shows %q, part of %s:\n%s", where, leak, name, text)
				}
			}
			if !strings.Contains(logs.String(), redact.Mask) {
				t.Errorf("nothing was redacted: is the plugin printing?\n%s", logs)
			}
		})
	}
}

func TestAPluginLogLineOverTheLimitIsDroppedNotCutAcrossASecret(t *testing.T) {
	secret := "s3cr3t+value/with=odd&chars-0123456789"
	reg, logs := newRegistry(t)
	// The fault plugin prints one line of 96 KiB, the secret over and over,
	// on stderr and in its log: go-plugin cuts the log line at 64 KiB, and
	// one copy of the secret straddles the cut.
	_, err := faultSource(t, reg, "long", "longline", "password", secret).Token(ctxT(t))
	if err == nil {
		t.Fatal("want the plugin's error")
	}
	waitForLogs(t, logs, "long-done-stderr", "long-done-log")
	reg.Close()
	if leak := findLeak(logs.String(), secret); leak != "" {
		t.Errorf("the log shows %q, part of the secret", leak)
	}
	if n := strings.Count(logs.String(), "KiB limit: not logged"); n != 2 {
		t.Errorf("%d notices of a dropped line, want 2 (stderr and log):\n%.2000s", n, logs)
	}
}

// findLeak returns a piece of text that shows secret: a line of it, or 16
// consecutive characters of it, of its base64, base64url or hex encoding,
// or of the encoding of the Basic pair "client-id:"+secret. It returns "" if
// there is none.
func findLeak(text, secret string) string {
	const window = 16
	seen := map[string]bool{}
	for i := 0; i+window <= len(text); i++ {
		seen[text[i:i+window]] = true
	}
	pair := base64.StdEncoding.EncodeToString([]byte("client-id:" + secret))
	shown := []string{
		secret,
		base64.StdEncoding.EncodeToString([]byte(secret)),
		base64.RawURLEncoding.EncodeToString([]byte(secret)),
		hex.EncodeToString([]byte(secret)),
		pair[len("client-id:")*8/6+2:], // what is not the id
	}
	for _, s := range shown {
		for i := 0; i+window <= len(s); i++ {
			if w := s[i : i+window]; seen[w] && !strings.ContainsAny(w, "\r\n") {
				return w
			}
		}
	}
	for line := range strings.Lines(secret) {
		if line = strings.TrimSpace(line); len(line) >= redact.MinLen && strings.Contains(text, line) {
			return line
		}
	}
	return ""
}

// waitForLogs waits until the log holds each of markers.
func waitForLogs(t *testing.T, logs *syncbuf.Buffer, markers ...string) {
	t.Helper()
	all := poll.Wait(func() bool {
		for _, m := range markers {
			if !strings.Contains(logs.String(), m) {
				return false
			}
		}
		return true
	})
	if !all {
		t.Fatalf("log lacks one of %q:\n%s", markers, logs)
	}
}
