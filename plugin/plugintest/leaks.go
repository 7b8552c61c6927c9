package plugintest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/plugin"
)

// Marker is a value that occurs nowhere by chance: put it where a token or
// secret would be in crafted or fuzzed upstream answers, and look for it
// with ContainsPart in what the provider returns or logs.
const Marker = "Zq9LEAKxP7wV3mKs2RtY8uHn"

// PartLen is the length of the pieces of a secret ContainsPart looks for:
// long enough not to match by chance, short enough to catch a secret cut
// to a snippet or quoted in part.
const PartLen = 8

// ContainsPart reports whether text holds any PartLen-byte piece of secret,
// or the whole secret if it is shorter. Use it to check that an error or a
// log line quotes no part of a key or token: a message that cuts a token
// to its first 20 bytes still leaks most of it. An empty secret is never
// found.
func ContainsPart(text, secret string) bool {
	if len(secret) < PartLen {
		return secret != "" && strings.Contains(text, secret)
	}
	for i := 0; i+PartLen <= len(secret); i++ {
		if strings.Contains(text, secret[i:i+PartLen]) {
			return true
		}
	}
	return false
}

// CheckError reports, with t.Errorf, what is wrong with an error a provider
// returned: nil; not starting with prefix (when prefix is not empty); over
// MaxErrorLen bytes (an upstream's body quoted whole instead of a snippet); or
// holding a piece of any of secrets (see ContainsPart). Its reports quote
// the error with the secrets redacted.
func CheckError(t testing.TB, err error, prefix string, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("no error")
		return
	}
	named := map[string]string{}
	for i, s := range secrets {
		named[fmt.Sprintf("secret #%d", i+1)] = s
	}
	checkShape(t, err, errorShape{prefix: prefix, maxLen: MaxErrorLen}, named)
}

// redactParts returns msg with every secret, its encodings (plugin.Redact)
// and every PartLen-byte piece of it replaced, for a report that quotes an
// error: the report must not leak what it reports.
func redactParts(msg string, secrets ...string) string {
	msg = plugin.Redact(msg, secrets...)
	for _, s := range secrets {
		for i := 0; i+PartLen <= len(s); i++ {
			msg = strings.ReplaceAll(msg, s[i:i+PartLen], "[REDACTED]")
		}
	}
	return msg
}

// CheckSettingError reports, with t.Errorf, unless err is a configuration
// error (plugin.SettingError or SettingErrors) naming setting key and no
// other, that quotes no piece of any of secrets (see ContainsPart): what a
// host shows a user who mistyped one setting.
func CheckSettingError(t testing.TB, err error, key string, secrets ...string) {
	t.Helper()
	checkSettingError(t, err, key, secrets...)
}

func checkSettingError(t reporter, err error, key string, secrets ...string) {
	t.Helper()
	shown := ""
	if err != nil {
		shown = redactParts(err.Error(), secrets...)
	}
	if keys := settingKeys(err); !errors.Is(err, plugin.ErrConfig) || len(keys) != 1 || keys[0] != key {
		t.Errorf("error %q names settings %q; want a configuration error naming %q alone", shown, keys, key)
	}
	for i, s := range secrets {
		if err != nil && ContainsPart(err.Error(), s) {
			t.Errorf("error %q quotes part of secret #%d", shown, i+1)
		}
	}
}
