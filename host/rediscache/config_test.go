package rediscache_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host/rediscache"
)

func TestNewNamesTheBadSettingWithoutEchoingIt(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(make([]byte, 32))
	short := base64.StdEncoding.EncodeToString([]byte("s3cr3t-but-too-short"))
	tests := []struct {
		name      string
		cfg       rediscache.Config
		want      string
		forbidden string
	}{
		{"no url", rediscache.Config{EncryptionKey: good}, "URL: required", ""},
		{"wrong scheme", rediscache.Config{URL: "http://h:1", EncryptionKey: good}, "URL: scheme", ""},
		{"unparsable url keeps the password out", rediscache.Config{URL: "redis://u:hunter2@h:bad/0", EncryptionKey: good}, "URL: not a URL", "hunter2"},
		{"bad db keeps the password out", rediscache.Config{URL: "redis://u:hunter2@h:1/x", EncryptionKey: good}, "URL: ", "hunter2"},
		{"no key", rediscache.Config{URL: "redis://h:1"}, "EncryptionKey: required", ""},
		{"key not base64", rediscache.Config{URL: "redis://h:1", EncryptionKey: "not*base64*hunter2"}, "EncryptionKey: not base64", "hunter2"},
		{"key too short", rediscache.Config{URL: "redis://h:1", EncryptionKey: short}, "EncryptionKey: decodes to 20 bytes, want 32", short},
		{"key prefix with braces", rediscache.Config{URL: "redis://h:1", EncryptionKey: good, KeyPrefix: "app{1}/"}, "KeyPrefix: must not contain { or }", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkRejected(t, tt.cfg, tt.want, tt.forbidden) })
	}
}

// checkRejected fails the test unless New and Validate both reject cfg
// with the same *FieldError, whose message starts with the package name,
// contains want (which starts with the field's name) and not forbidden.
func checkRejected(t *testing.T, cfg rediscache.Config, want, forbidden string) {
	t.Helper()
	c, err := rediscache.New(cfg)
	if err == nil {
		c.Close()
		t.Fatal("New accepted a bad config")
	}
	if !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "tokenplug/rediscache: ") {
		t.Errorf("err = %q, want it to contain %q", err, want)
	}
	var fe *rediscache.FieldError
	if !errors.As(err, &fe) || !strings.HasPrefix(want, fe.Field+": ") {
		t.Errorf("err = %#v, want a *FieldError for %q", err, want)
	}
	if verr := cfg.Validate(); verr == nil || verr.Error() != err.Error() {
		t.Errorf("Validate = %v, want New's error %v", verr, err)
	}
	if forbidden != "" && strings.Contains(err.Error(), forbidden) {
		t.Errorf("err = %q echoes the secret", err)
	}
}
