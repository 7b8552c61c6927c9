package hostconfig_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host/hostconfig"
)

// TestASecretPastedIntoAFileSettingIsNotQuoted: "private_key_file:
// ${KEY}" with a PEM (or a token) in KEY is a key where a path belongs.
// The error names the setting and why the value is not a path, and never
// quotes it; a plausible path is still quoted, to say which file is
// missing.
func TestASecretPastedIntoAFileSettingIsNotQuoted(t *testing.T) {
	pemKey := symphonySettings()["private_key"]
	body := strings.Split(pemKey, "\n")[3]
	token := base64.RawURLEncoding.EncodeToString([]byte("tok-5f1d0c77e2a94b3d9b8f27c1a6e0d4bb"))
	for _, tt := range []struct{ name, value, secret, want string }{
		{"a PEM key", pemKey, body, "not a file path"},
		{"a PEM key on one line", strings.ReplaceAll(pemKey, "\n", `\n`), body, "not a file path"},
		{"a long token", strings.Repeat(token, 200), token, "not a file path"},
		{"a base64 token", token, token, "no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TP_TEST_KEY", tt.value)
			yaml := "providers:\n  p:\n    plugin: symphony\n    settings:\n      private_key_file: ${TP_TEST_KEY}\n"
			_, err := hostconfig.Parse(strings.NewReader(yaml), "t.yaml")
			msg := fmtErr(err)
			if !strings.Contains(msg, "t.yaml:5: providers.p.settings.private_key_file: ") || !strings.Contains(msg, tt.want) {
				t.Errorf("Parse = %s, want an error naming the setting and %q", msg, tt.want)
			}
			if strings.Contains(msg, tt.secret) {
				t.Errorf("the error quotes the value: %s", msg)
			}
		})
	}
	_, err := hostconfig.Parse(strings.NewReader("providers:\n  p:\n    plugin: symphony\n    path: ./keys/none\n"), "/cfg/t.yaml")
	if msg := fmtErr(err); !strings.Contains(msg, "providers.p.path: /cfg/keys/none: no such file") {
		t.Errorf("Parse = %s, want the missing path quoted", msg)
	}
}
