package plugin

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tokenplug/tokenplug/hostmatch"
)

// Duration reads settings[key] as a Go duration ("90s", "10m", "1h30m").
// A value that is empty, does not parse or is negative is a SettingError
// naming key; the message never quotes the value, so Duration is safe on any
// setting. Declare a Default for optional durations.
func Duration(settings map[string]string, key string) (time.Duration, error) {
	v := strings.TrimSpace(settings[key])
	if v == "" {
		return 0, SettingError{Key: key, Message: "required: a duration such as 10m or 1h30m"}
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return 0, SettingError{Key: key, Message: "not a duration (want e.g. 10m or 1h30m)"}
	case d < 0:
		return 0, SettingError{Key: key, Message: "must not be negative"}
	}
	return d, nil
}

// DurationUpTo reads settings[key] as a duration more than 0 and at most
// max, as Duration does; empty means def. A value out of range is a
// SettingError naming key, which says the range (a duration is no
// secret).
func DurationUpTo(settings map[string]string, key string, def, max time.Duration) (time.Duration, error) {
	if strings.TrimSpace(settings[key]) == "" {
		return def, nil
	}
	d, err := Duration(settings, key)
	switch {
	case err != nil:
		return 0, err
	case d <= 0 || d > max:
		return 0, SettingError{Key: key, Message: fmt.Sprintf("must be more than 0 and at most %v, got %v", max, d)}
	}
	return d, nil
}

// URL reads settings[key] as an absolute http or https URL with a host.
// Plain http is accepted only for loopback hosts (localhost, 127.0.0.1,
// ::1), for emulators and tests: a provider sends credentials to this URL,
// and they must not cross a network in clear. Problems are a SettingError
// naming key, whose message does not quote the value (a URL may carry
// userinfo).
func URL(settings map[string]string, key string) (*url.URL, error) {
	v := strings.TrimSpace(settings[key])
	if v == "" {
		return nil, SettingError{Key: key, Message: "required: an https URL"}
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Hostname() == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return nil, SettingError{Key: key, Message: "not an absolute http(s) URL"}
	case u.User != nil:
		return nil, SettingError{Key: key, Message: "must not carry credentials (user:password@); use the provider's secret settings"}
	case u.Scheme == "http" && !hostmatch.IsExactLoopback(u.Hostname()):
		return nil, SettingError{Key: key, Message: "must use https (plain http is allowed to loopback addresses only)"}
	}
	return u, nil
}

// settingErrorsOf collects every setting error in err's tree: SettingErrors,
// SettingError (value or pointer), wrapped with %w or joined with
// errors.Join. It returns nil if there is none.
func settingErrorsOf(err error) SettingErrors {
	var out SettingErrors
	var walk func(error)
	walk = func(e error) {
		switch v := e.(type) {
		case nil:
		case SettingErrors:
			out = append(out, v...)
		case SettingError:
			out = append(out, v)
		case *SettingError:
			if v != nil {
				out = append(out, *v)
			}
		case interface{ Unwrap() []error }:
			for _, inner := range v.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(v.Unwrap())
		}
	}
	walk(err)
	return out
}
