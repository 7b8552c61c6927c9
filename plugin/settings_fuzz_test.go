package plugin

import (
	"errors"
	"maps"
	"net"
	"slices"
	"strings"
	"testing"
)

// checkSettingError checks that err is a SettingError for key whose message
// is one of msgs: fixed texts, so no value can be quoted in it.
func checkSettingError(t *testing.T, err error, key string, msgs ...string) {
	t.Helper()
	var se SettingError
	if !errors.As(err, &se) || !errors.Is(err, ErrConfig) {
		t.Fatalf("error %v (%T) is not a SettingError", err, err)
	}
	if se.Key != key || !slices.Contains(msgs, se.Message) {
		t.Fatalf("error %q: want setting %q and one of %q", err, key, msgs)
	}
}

// FuzzDuration: any value is a duration that is not negative and reads
// back from its String form, or a SettingError naming the key with a fixed
// message.
func FuzzDuration(f *testing.F) {
	for _, s := range []string{"", " ", "0", "90s", " 10m ", "1h30m", "-1s", "-0", "1.5h", ".5s", "1e3s", "1", "10 m",
		"9223372036854775807ns", "9223372036854775808ns", "2562047h47m16.854775807s", "2562048h", "1µs", "1us", "+5m", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, err := Duration(map[string]string{"ttl": v}, "ttl")
		if err != nil {
			checkSettingError(t, err, "ttl", "required: a duration such as 10m or 1h30m",
				"not a duration (want e.g. 10m or 1h30m)", "must not be negative")
			return
		}
		if d < 0 {
			t.Fatalf("Duration(%q) = %v, negative", v, d)
		}
		if back, err := Duration(map[string]string{"ttl": d.String()}, "ttl"); err != nil || back != d {
			t.Fatalf("Duration(%q) = %v, but %q reads back as %v, %v", v, d, d.String(), back, err)
		}
	})
}

// FuzzURL: an accepted value is an absolute http(s) URL with a host name,
// no userinfo, and plain http only to a loopback host, and (unless its host
// has an IPv6 zone) it reads back from its String form; anything else is a SettingError naming the key with
// a fixed message.
func FuzzURL(f *testing.F) {
	for _, s := range []string{"", "https://iam.cloud.ibm.com/identity/token", " https://a.test ", "http://127.0.0.1:8080/x",
		"http://localhost/", "http://[::1]:9/", "http://[::ffff:127.0.0.1]/", "http://127.0.0.1.evil.test/", "http://evil.test/",
		"https://user:pw@a.test/", "https://@a.test/", "https://:443/", "https:///x", "ftp://a.test/", "//a.test/", "a.test",
		"https://a.test:99999/", "https://[::1%25eth0]/", "HTTPS://A.TEST/", "http://localhost./", "https://a.test/%zz",
		"https://a.test/\x7f", "https://a test/", "http://0x7f.1/", "http://2130706433/", "https://[fe80::1%en0]/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		u, err := URL(map[string]string{"token_url": v}, "token_url")
		if err != nil {
			checkSettingError(t, err, "token_url", "required: an https URL", "not an absolute http(s) URL",
				"must not carry credentials (user:password@); use the provider's secret settings",
				"must use https (plain http is allowed to loopback addresses only)")
			return
		}
		switch {
		case u.Scheme != "https" && u.Scheme != "http":
			t.Fatalf("URL(%q): scheme %q accepted", v, u.Scheme)
		case u.Hostname() == "":
			t.Fatalf("URL(%q): accepted without a host name", v)
		case u.User != nil:
			t.Fatalf("URL(%q): userinfo accepted", v)
		case u.Scheme == "http" && u.Hostname() != "localhost" && !net.ParseIP(u.Hostname()).IsLoopback():
			t.Fatalf("URL(%q): plain http to %q accepted", v, u.Hostname())
		}
		if strings.Contains(u.Host, "%") {
			return // net/url does not re-read every IPv6 zone it writes ("[::%25%81]")
		}
		back, err := URL(map[string]string{"token_url": u.String()}, "token_url")
		if err != nil || back.String() != u.String() {
			t.Fatalf("URL(%q) = %q, which reads back as %v, %v", v, u, back, err)
		}
	})
}

// TestURLRejectsPortWithoutHost: "https://:443/" has a Host (":443") but
// no host name; URL accepted it (found by FuzzURL).
func TestURLRejectsPortWithoutHost(t *testing.T) {
	for _, v := range []string{"https://:443/", "http://:80", "https://[]:443/"} {
		_, err := URL(map[string]string{"token_url": v}, "token_url")
		checkSettingError(t, err, "token_url", "not an absolute http(s) URL")
	}
}

// FuzzApplySchema checks a schema of distinct keys (comma separated; each
// flag byte sets required (1), secret (2) and a default (4)) against
// settings ("k=v" pairs, comma separated). Accepted: the result holds the
// declared keys only, each the given value if not empty, else its default.
// Rejected: SettingErrors sorted by key, one per undeclared key and per
// required key left empty, none holding a value.
func FuzzApplySchema(f *testing.F) {
	f.Add("apikey,token_url,timeout", []byte{3, 4, 4}, "apikey=k-1234567,timeout=5m")
	f.Add("apikey,token_url", []byte{3, 0}, "")
	f.Add("apikey", []byte{1}, "apikey=,other=v-secret-value,zzz=1")
	f.Add("a,b,c", []byte{5, 7, 2}, "a=,b=,c=,c=x")
	f.Add("", []byte{}, "=v-empty-key-value")
	f.Fuzz(func(t *testing.T, keys string, flags []byte, pairs string) {
		d, ok := fuzzSchema(keys, flags)
		if !ok {
			t.Skip()
		}
		settings := map[string]string{}
		for _, p := range strings.Split(pairs, ",") {
			if k, v, ok := strings.Cut(p, "="); ok {
				settings[k] = v
			}
		}
		in := maps.Clone(settings)
		out, err := ApplySchema(d, settings)
		if !maps.Equal(in, settings) {
			t.Fatalf("ApplySchema changed its input: %q -> %q", in, settings)
		}
		want := wantSchemaErrors(d, settings)
		if err != nil {
			checkSchemaErrors(t, err, want)
			return
		}
		if len(want) > 0 {
			t.Fatalf("ApplySchema accepted %q, want errors for %q", settings, want)
		}
		checkApplied(t, d, settings, out)
	})
}

// fuzzSchema builds a Description with distinct keys; ok is false if the
// keys repeat (a schema bug Serve's callers do not have) or the input is
// too large.
func fuzzSchema(keys string, flags []byte) (Description, bool) {
	if len(keys) > 1024 {
		return Description{}, false
	}
	d := Description{Name: "fuzz"}
	seen := map[string]bool{}
	for i, k := range strings.Split(keys, ",") {
		if k == "" && keys == "" {
			break
		}
		if seen[k] {
			return Description{}, false
		}
		seen[k] = true
		var fl byte
		if i < len(flags) {
			fl = flags[i]
		}
		s := Setting{Key: k, Required: fl&1 != 0, Secret: fl&2 != 0}
		if fl&4 != 0 {
			s.Default = "default-of-" + k
		}
		d.Settings = append(d.Settings, s)
	}
	return d, true
}

// wantSchemaErrors returns the errors ApplySchema must report, sorted by
// key: every required key without a default left empty, every undeclared
// key. Their messages are fixed: no value can appear in them.
func wantSchemaErrors(d Description, settings map[string]string) SettingErrors {
	var want SettingErrors
	declared := map[string]bool{}
	for _, s := range d.Settings {
		declared[s.Key] = true
		if s.Required && s.Default == "" && settings[s.Key] == "" {
			want = append(want, SettingError{Key: s.Key, Message: "required"})
		}
	}
	for k := range settings {
		if !declared[k] {
			want = append(want, SettingError{Key: k, Message: "unknown setting for plugin fuzz"})
		}
	}
	slices.SortFunc(want, func(a, b SettingError) int { return strings.Compare(a.Key, b.Key) })
	return want
}

func checkSchemaErrors(t *testing.T, err error, want SettingErrors) {
	t.Helper()
	var se SettingErrors
	if !errors.As(err, &se) || !errors.Is(err, ErrConfig) {
		t.Fatalf("error %v (%T) is not SettingErrors", err, err)
	}
	if !slices.Equal(se, want) || err.Error() != want.Error() {
		t.Fatalf("error %q, want %q", err, want)
	}
}

func checkApplied(t *testing.T, d Description, settings, out map[string]string) {
	t.Helper()
	for k := range out {
		if !slices.ContainsFunc(d.Settings, func(s Setting) bool { return s.Key == k }) {
			t.Fatalf("result holds undeclared key %q", k)
		}
	}
	for _, s := range d.Settings {
		want, ok := settings[s.Key]
		if want == "" && s.Default != "" {
			want, ok = s.Default, true
		}
		if got, has := out[s.Key]; got != want || has != ok {
			t.Fatalf("result[%q] = %q (%v), want %q (%v)", s.Key, got, has, want, ok)
		}
	}
}
