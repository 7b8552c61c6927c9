package plugin

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

var schema = Description{
	Name:    "demo",
	Version: "1.0.0",
	Settings: []Setting{
		{Key: "api_key", Required: true, Secret: true},
		{Key: "region", Required: true},
		{Key: "token_url", Default: "https://auth.example.com/token"},
		{Key: "scopes"},
	},
}

func keysOf(err error) []string {
	var keys []string
	for _, e := range settingErrorsOf(err) {
		keys = append(keys, e.Key)
	}
	return keys
}

func TestApplySchema(t *testing.T) {
	tests := []struct {
		name     string
		in       map[string]string
		want     map[string]string
		wantKeys []string // keys named by the error; nil: no error
	}{
		{
			name: "defaults fill absent and empty keys; optional keys stay absent",
			in:   map[string]string{"api_key": "k", "region": "eu"},
			want: map[string]string{"api_key": "k", "region": "eu", "token_url": "https://auth.example.com/token"},
		},
		{
			name: "an empty value takes the default",
			in:   map[string]string{"api_key": "k", "region": "eu", "token_url": ""},
			want: map[string]string{"api_key": "k", "region": "eu", "token_url": "https://auth.example.com/token"},
		},
		{
			name: "a given value beats the default",
			in:   map[string]string{"api_key": "k", "region": "eu", "token_url": "https://other/t", "scopes": "a b"},
			want: map[string]string{"api_key": "k", "region": "eu", "token_url": "https://other/t", "scopes": "a b"},
		},
		{
			name:     "every missing or empty required key is named, sorted",
			in:       map[string]string{"region": ""},
			wantKeys: []string{"api_key", "region"},
		},
		{
			name:     "undeclared keys are named with the required ones",
			in:       map[string]string{"region": "eu", "apikey": "typo"},
			wantKeys: []string{"api_key", "apikey"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := maps.Clone(tt.in)
			got, err := ApplySchema(schema, tt.in)
			if !maps.Equal(in, tt.in) {
				t.Errorf("ApplySchema modified its input: %v", tt.in)
			}
			if tt.wantKeys != nil {
				if !errors.Is(err, ErrConfig) || KindOf(err) != KindConfig {
					t.Fatalf("err = %v, want a configuration error", err)
				}
				if keys := keysOf(err); !slices.Equal(keys, tt.wantKeys) {
					t.Fatalf("error names %v, want %v (%v)", keys, tt.wantKeys, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUnknownSettingErrorNamesThePlugin(t *testing.T) {
	_, err := ApplySchema(schema, map[string]string{"api_key": "k", "region": "eu", "colour": "red"})
	if err == nil || !strings.Contains(err.Error(), `setting "colour": unknown setting for plugin demo`) {
		t.Fatalf("err = %v", err)
	}
}

func TestSettingErrorsAreFoundWrappedJoinedAndByPointer(t *testing.T) {
	err := fmt.Errorf("tokenplug/demo: %w", errors.Join(
		SettingError{Key: "a", Message: "bad"},
		Errorf("b", "worse %d", 2),
		&SettingError{Key: "c", Message: "worst"},
		errors.New("not a setting problem"),
	))
	if keys := keysOf(err); !slices.Equal(keys, []string{"a", "b", "c"}) {
		t.Fatalf("keys %v", keys)
	}
	if KindOf(err) != KindConfig || !errors.Is(err, ErrConfig) {
		t.Fatalf("kind %v, Is(ErrConfig) %v", KindOf(err), errors.Is(err, ErrConfig))
	}
	if got := Errorf("b", "worse %d", 2).Error(); got != `setting "b": worse 2` {
		t.Fatalf("Errorf text %q", got)
	}
	if settingErrorsOf(errors.New("plain")) != nil || settingErrorsOf(nil) != nil {
		t.Fatal("found setting errors where there are none")
	}
}

func TestDuration(t *testing.T) {
	s := map[string]string{"ok": " 90s ", "bad": "ten minutes", "neg": "-1m", "empty": ""}
	if d, err := Duration(s, "ok"); err != nil || d != 90*time.Second {
		t.Fatalf("ok: %v, %v", d, err)
	}
	for _, key := range []string{"bad", "neg", "empty", "absent"} {
		_, err := Duration(s, key)
		var se SettingError
		if !errors.As(err, &se) || se.Key != key {
			t.Errorf("%s: err = %v, want a SettingError naming the key", key, err)
		}
		if s[key] != "" && strings.Contains(err.Error(), s[key]) {
			t.Errorf("%s: error quotes the value: %v", key, err)
		}
	}
}

func TestDurationUpToTakesTheDefaultAndRefusesZeroAndOverMax(t *testing.T) {
	s := map[string]string{"ok": "30m", "max": "1h", "zero": "0s", "over": "61m", "bad": "soon", "empty": " "}
	for key, want := range map[string]time.Duration{"ok": 30 * time.Minute, "max": time.Hour, "empty": 5 * time.Minute, "absent": 5 * time.Minute} {
		if d, err := DurationUpTo(s, key, 5*time.Minute, time.Hour); err != nil || d != want {
			t.Errorf("%s: %v, %v; want %v", key, d, err, want)
		}
	}
	for _, key := range []string{"zero", "over", "bad"} {
		_, err := DurationUpTo(s, key, 5*time.Minute, time.Hour)
		var se SettingError
		if !errors.As(err, &se) || se.Key != key {
			t.Errorf("%s: err = %v, want a SettingError naming the key", key, err)
		}
	}
}

func TestURL(t *testing.T) {
	tests := []struct {
		value string
		ok    bool
	}{
		{"https://auth.example.com/oauth/token", true},
		{"http://127.0.0.1:8080/token", true},
		{"http://localhost/token", true},
		{"http://[::1]:9/token", true},
		{"http://auth.example.com/token", false}, // credentials in clear
		// Loopback aliases that net/http sends to HTTP_PROXY: only the
		// exact names it keeps off a proxy may be plain http.
		{"http://localhost./token", false},
		{"http://LOCALHOST/token", false},
		{"http://LocalHost./token", false},
		{"https://user:hunter2@auth.example.com/token", false},
		{"ftp://auth.example.com/token", false},
		{"/token", false},
		{"", false},
		{"https://%zz", false},
	}
	for _, tt := range tests {
		u, err := URL(map[string]string{"token_url": tt.value}, "token_url")
		if tt.ok {
			if err != nil || u.String() != tt.value {
				t.Errorf("%q: %v, %v", tt.value, u, err)
			}
			continue
		}
		var se SettingError
		if !errors.As(err, &se) || se.Key != "token_url" {
			t.Errorf("%q: err = %v, want a SettingError naming token_url", tt.value, err)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: error quotes the password: %v", tt.value, err)
		}
	}
}

func TestLogLevelReadsSlogAndHCLogNames(t *testing.T) {
	for in, want := range map[string]slog.Level{
		"": slog.LevelInfo, "debug": slog.LevelDebug, "WARN": slog.LevelWarn, "trace": slog.LevelDebug - 4,
		" Trace ": slog.LevelDebug - 4, "DEBUG-4": slog.LevelDebug - 4, "loud": slog.LevelInfo,
	} {
		if got := logLevel(in); got != want {
			t.Errorf("logLevel(%q) = %v, want %v", in, got, want)
		}
	}
}
