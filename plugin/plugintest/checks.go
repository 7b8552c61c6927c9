package plugintest

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/hostmatch"
	"github.com/tokenplug/tokenplug/plugin"
)

// reporter is the part of testing.TB the checks use, so the kit's own tests
// can see what a check reports.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
}

var (
	// pluginName is what a binary tokenplug-<name> can be looked up by, in
	// any file system and config file.
	pluginName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	snakeCase  = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	// headerName is an HTTP header field name (RFC 9110 token).
	headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// maxSaneLifetime is the longest token lifetime that passes unremarked: a
// bearer token valid for more than a year is a long-lived credential in
// disguise.
const maxSaneLifetime = 365 * 24 * time.Hour

// checkDescription reports what is wrong with a provider's description.
// checkDefaultHosts checks the hosts a plugin declares as its vendor's: valid
// patterns, and never "*", which would send a user's token anywhere without
// the user saying so.
func checkDefaultHosts(r reporter, hosts []string) {
	r.Helper()
	if len(hosts) == 0 {
		r.Logf("description: no default hosts; hosts send this provider's token nowhere until the user configures hosts")
		return
	}
	if slices.Contains(hosts, hostmatch.Any) {
		r.Errorf("description: default hosts include %q: declare the vendor's API hosts; only the user may allow every host", hostmatch.Any)
	}
	if err := hostmatch.Check(hosts...); err != nil {
		r.Errorf("description: default hosts: %v", err)
	}
}

// checkHostsForSettings checks the default hosts a provider gives for
// settings (plugin.HostsForSettings): each must be one of those its
// description declares, spelt the same, or hosts refuse the configuration.
func checkHostsForSettings(r reporter, h plugin.HostsForSettings, d plugin.Description, settings map[string]string) {
	r.Helper()
	applied, err := plugin.ApplySchema(d, settings)
	if err != nil {
		return // the token check reports it
	}
	for _, host := range h.DefaultHostsFor(applied) {
		if !slices.Contains(d.DefaultHosts, host) {
			r.Errorf("DefaultHostsFor: %q is not among the description's default hosts %q: a configuration may only narrow them, and hosts refuse it", host, d.DefaultHosts)
		}
	}
}

func checkDescription(r reporter, d plugin.Description) {
	r.Helper()
	if !pluginName.MatchString(d.Name) {
		r.Errorf("description: name %q: want lower-case letters, digits, '-' or '_', starting with a letter (the binary is tokenplug-<name>)", d.Name)
	}
	if strings.TrimSpace(d.Version) == "" {
		r.Errorf("description: version is empty; set it (semver advised) so users can tell builds apart")
	}
	checkDefaultHosts(r, d.DefaultHosts)
	seen := map[string]bool{}
	for _, s := range d.Settings {
		switch {
		case !snakeCase.MatchString(s.Key):
			r.Errorf("description: setting key %q is not snake_case", s.Key)
		case seen[s.Key]:
			r.Errorf("description: setting key %q is declared twice", s.Key)
		}
		seen[s.Key] = true
		if s.Required && s.Default != "" {
			r.Errorf("description: setting %q is required and has a default; a default makes it optional", s.Key)
		}
		if s.Secret && s.Default != "" {
			r.Errorf("description: secret setting %q has a default: a secret must come from the user", s.Key)
		}
		if looksSecret(s.Key) && !s.Secret {
			r.Logf("description: setting %q looks like a secret but is not marked Secret; hosts will log and echo its value", s.Key)
		}
		if strings.TrimSpace(s.Description) == "" {
			r.Logf("description: setting %q has no description; tokenplug plugins shows it to users", s.Key)
		}
	}
}

// CheckSecretSettings reports, with t.Errorf, each difference between the
// settings p declares and secret, which maps every key p should declare to
// whether it is Secret: a key marked otherwise, a key p does not declare,
// a key p declares that secret does not list. Hosts redact, and never log,
// only the values of settings marked Secret, so a test that lists every key
// keeps an edit from dropping the mark, and makes each new setting a
// decision.
func CheckSecretSettings(t testing.TB, p plugin.Provider, secret map[string]bool) {
	t.Helper()
	checkSecretSettings(t, p.Describe(), secret)
}

func checkSecretSettings(r reporter, d plugin.Description, secret map[string]bool) {
	r.Helper()
	declared := map[string]bool{}
	for _, s := range d.Settings {
		declared[s.Key] = true
		want, listed := secret[s.Key]
		switch {
		case !listed:
			r.Errorf("setting %q is declared but not listed; list it, secret or not", s.Key)
		case s.Secret != want:
			r.Errorf("setting %q: Secret is %v, want %v", s.Key, s.Secret, want)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(secret)) {
		if !declared[key] {
			r.Errorf("setting %q is listed but not declared", key)
		}
	}
}

// secretWords are key words that name credentials.
var secretWords = []string{"secret", "password", "passwd", "passphrase", "apikey", "jwt", "credential", "credentials", "private", "assertion"}

// notSecretWords end keys that name where or what a credential is, not the
// credential: private_key_file, token_url, secret_name.
var notSecretWords = []string{"file", "path", "dir", "url", "name", "id", "header", "type", "mode", "region"}

// looksSecret guesses from a snake_case key whether its value is a
// credential: api_key, client_secret, private_key, refresh_token, but not
// token_url, private_key_file or public_key_name.
func looksSecret(key string) bool {
	words := strings.Split(key, "_")
	if slices.Contains(notSecretWords, words[len(words)-1]) {
		return false
	}
	for _, w := range words {
		if slices.Contains(secretWords, w) {
			return true
		}
	}
	last := words[len(words)-1]
	return (last == "key" && !slices.Contains(words, "public")) || last == "token"
}

// checkToken reports what is wrong with a token a provider returned.
func checkToken(r reporter, tok *oauth2.Token, now time.Time) {
	r.Helper()
	if tok == nil || tok.AccessToken == "" {
		r.Errorf("token: empty access token")
		return
	}
	if strings.ContainsFunc(tok.AccessToken, func(c rune) bool { return c < ' ' || c == 0x7f }) {
		r.Errorf("token: the access token holds control characters (a trailing newline?); no server will accept it in a header")
	}
	if h := plugin.HeaderOf(tok); h != "" && !headerName.MatchString(h) {
		r.Errorf("token: header %q is not a valid HTTP header name", h)
	}
	switch exp := tok.Expiry; {
	case exp.IsZero():
		// Never expires: static credentials, e.g. an API key.
	case !exp.After(now):
		r.Errorf("token: expiry %s is not in the future (now %s)", exp.Format(time.RFC3339), now.Format(time.RFC3339))
	case exp.Sub(now) > maxSaneLifetime:
		r.Logf("token: expires in %s, more than a year: is the expiry in seconds where milliseconds were meant, or the other way round?", exp.Sub(now).Round(time.Hour))
	}
	if at := plugin.RefreshAtOf(tok); !at.IsZero() {
		if !tok.Expiry.IsZero() && !at.Before(tok.Expiry) {
			r.Errorf("token: refresh hint %s is not before expiry %s; the host will ignore it", at.Format(time.RFC3339), tok.Expiry.Format(time.RFC3339))
		}
		if !at.After(now) {
			r.Errorf("token: refresh hint %s is not in the future", at.Format(time.RFC3339))
		}
	}
}

// checkNoSecrets reports every secret found in text, naming where and what
// it is (never the value); secrets maps that name to the value.
func checkNoSecrets(r reporter, where, text string, secrets map[string]string) {
	r.Helper()
	for name, v := range secrets {
		if v != "" && strings.Contains(text, v) {
			r.Errorf("%s contains %s", where, name)
		}
	}
}

// secretsOf names the values Run must never find in output: every secret
// setting, keyed "setting <key>".
func secretsOf(d plugin.Description, settings map[string]string) map[string]string {
	out := map[string]string{}
	for _, s := range d.Settings {
		if v := settings[s.Key]; s.Secret && v != "" {
			out[fmt.Sprintf("the value of secret setting %q", s.Key)] = v
		}
	}
	return out
}

// minTokenLen is the shortest access token Run looks for in logs: shorter
// ones ("tok-1" from a test emulator) would match by accident.
const minTokenLen = 12

// wrongSecrets returns settings with every secret value replaced by a
// marker that cannot occur by chance, and the markers by setting.
func wrongSecrets(d plugin.Description, settings map[string]string) (map[string]string, map[string]string) {
	out := maps.Clone(settings)
	if out == nil {
		out = map[string]string{}
	}
	markers := map[string]string{}
	for _, s := range d.Settings {
		if s.Secret && settings[s.Key] != "" {
			m := "plugintest-wrong-" + s.Key + "-Zq7XbW"
			out[s.Key] = m
			markers[fmt.Sprintf("the wrong value given to secret setting %q", s.Key)] = m
		}
	}
	return out, markers
}

// withoutKey returns a copy of settings without key.
func withoutKey(settings map[string]string, key string) map[string]string {
	out := maps.Clone(settings)
	delete(out, key)
	return out
}
