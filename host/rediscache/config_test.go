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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := rediscache.New(tt.cfg)
			if err == nil {
				c.Close()
				t.Fatal("New accepted a bad config")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "tokenplug/rediscache: ") {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
			var fe *rediscache.FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(tt.want, fe.Field+": ") {
				t.Errorf("err = %#v, want a *FieldError for %q", err, tt.want)
			}
			if verr := tt.cfg.Validate(); verr == nil || verr.Error() != err.Error() {
				t.Errorf("Validate = %v, want New's error %v", verr, err)
			}
			if tt.forbidden != "" && strings.Contains(err.Error(), tt.forbidden) {
				t.Errorf("err = %q echoes the secret", err)
			}
		})
	}
}

func TestNewAcceptsAllRedisURLForms(t *testing.T) {
	key := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	for _, u := range []string{"redis://127.0.0.1:6379/0", "rediss://user:pw@cache.internal:6380/2", "redis://:pw@localhost"} {
		c, err := rediscache.New(rediscache.Config{URL: u, EncryptionKey: key})
		if err != nil {
			t.Errorf("New(%q) = %v", u, err)
			continue
		}
		if got := c.Key("iam", nil); !strings.HasPrefix(got, "tokenplug/iam/") {
			t.Errorf("Key = %q, want the default prefix", got)
		}
		c.Close()
	}
}
