package plugin

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
)

// Provider is implemented by a plugin. Describe is called once at start.
// Configure is called once per provider instance: one plugin process serves
// every provider a host runs with the same binary, each an instance with its
// own settings and token source (see docs/writing-a-plugin.md), and a host
// configures every instance again when it restarts the plugin. So keep a
// configuration's state in the token source Configure returns, never in
// package variables or in the Provider value. Implementations must be safe
// for concurrent use.
//
// The token source Configure returns must fetch or make a fresh token on
// every call and keep no cache: the host caches, refreshes ahead of expiry
// and collapses concurrent callers. Its errors should be classified (see
// Permanent, Temporary, RateLimited) and must not contain secrets.
type Provider interface {
	// Describe returns the provider's name, version and settings schema.
	Describe() Description
	// Configure validates settings and returns a token source. Settings
	// arrive with declared defaults applied, required keys present and
	// undeclared keys rejected, so Configure checks only meaning. A problem
	// with a setting is returned as a SettingError or SettingErrors naming
	// the key (errors.Join of several is fine). ctx bounds Configure only;
	// the token source must not keep it.
	Configure(ctx context.Context, settings map[string]string) (oauth2.TokenSource, error)
}

// HostsForSettings may be implemented by a Provider whose vendor API hosts
// depend on its settings: a cloud setting, say, that picks one of the
// vendor's clouds. After Configure accepts settings, the SDK asks
// DefaultHostsFor for the host patterns of that configuration and hands
// them to the host, which sends the configuration's tokens there (when the
// user configures no hosts) instead of to all of Description.DefaultHosts.
//
// DefaultHostsFor may only narrow: every pattern it returns must be one of
// Description.DefaultHosts, spelt the same, or the host refuses the
// provider's configuration (unless the user configured hosts, which
// replace both lists). Nil or empty means Description.DefaultHosts.
// It gets the settings Configure got (defaults applied) and must not fail
// or panic on settings Configure would reject: it returns nil for those.
type HostsForSettings interface {
	// DefaultHostsFor returns the default host patterns for settings.
	DefaultHostsFor(settings map[string]string) []string
}

// ContextTokenSource is an oauth2.TokenSource that can also honour a
// context. The SDK calls TokenContext when a token source implements it, so a
// host's deadline or cancellation reaches the provider's upstream request.
// Same as tokenplug.ContextTokenSource.
type ContextTokenSource = tokenplug.ContextTokenSource

// Description is what a provider says about itself. Hosts show it to users
// (tokenplug plugins) and check settings against it before Configure.
type Description struct {
	Name     string    // plugin name, lower case, e.g. "iam"; the binary is tokenplug-<Name>
	Version  string    // provider version, free-form (semver advised)
	Settings []Setting // every key Configure accepts

	// DefaultHosts are the host patterns of the vendor's API (see package
	// hostmatch: "api.example.com", "*.example.com", optionally with
	// ":port"), where a host sends the provider's tokens when the user
	// configures no hosts. Declare the vendor's real API hosts, never "*".
	// With none, a host sends the token nowhere until the user configures
	// hosts: a plugin whose endpoints are not fixed (self-hosted, per
	// tenant) leaves it empty.
	DefaultHosts []string

	// AnswersChallenges, in the Description a host reads from a running
	// plugin, says the plugin reads a server's challenges (see
	// ChallengeTokenSource). Providers need not set it: the SDK declares
	// it for every plugin built with it, and per instance routes a
	// challenge to the token source when that implements
	// ChallengeTokenSource, or refuses it with ErrChallengeUnsupported,
	// without fetching, when it does not.
	AnswersChallenges bool
}

// Setting declares one configuration key. Keys are user-facing API: keep
// them stable, in snake_case.
type Setting struct {
	Key         string // snake_case, e.g. "token_url"
	Description string // one line for users: what it is, its form
	Required    bool   // absent or empty is an error (do not also set Default)
	Secret      bool   // never logged, echoed or put in an error
	Default     string // applied when the key is absent or empty
}

// SettingError is a problem with one setting. Message must not contain the
// setting's value when the setting is secret.
type SettingError struct {
	Key     string
	Message string
}

// Error returns `setting "<key>": <message>`.
func (e SettingError) Error() string { return fmt.Sprintf("setting %q: %s", e.Key, e.Message) }

// Is makes errors.Is(err, ErrConfig) true for setting errors.
func (e SettingError) Is(target error) bool { return target == ErrConfig }

// SettingErrors collects field-level problems found by Configure, so a user
// learns of every bad key at once. A nil or empty SettingErrors is not an
// error: return nil instead.
type SettingErrors []SettingError

// Error joins the entries' messages with "; ".
func (e SettingErrors) Error() string {
	msgs := make([]string, len(e))
	for i, se := range e {
		msgs[i] = se.Error()
	}
	return strings.Join(msgs, "; ")
}

// Is makes errors.Is(err, ErrConfig) true for setting errors.
func (e SettingErrors) Is(target error) bool { return target == ErrConfig }

// Errorf returns a SettingErrors with one entry for key. The message must
// not quote a secret setting's value.
func Errorf(key, format string, args ...any) SettingErrors {
	return SettingErrors{{Key: key, Message: fmt.Sprintf(format, args...)}}
}

// ApplySchema checks settings against the declared schema: it rejects keys
// the schema does not declare and required keys that are missing or empty,
// and returns a copy with defaults filled in. Serve calls it before
// Configure; providers tested in-process may call it too.
func ApplySchema(d Description, settings map[string]string) (map[string]string, error) {
	declared := make(map[string]Setting, len(d.Settings))
	for _, s := range d.Settings {
		declared[s.Key] = s
	}
	var errs SettingErrors
	out := make(map[string]string, len(d.Settings))
	for k, v := range settings {
		if _, ok := declared[k]; !ok {
			errs = append(errs, SettingError{Key: k, Message: "unknown setting for plugin " + d.Name})
			continue
		}
		out[k] = v
	}
	for _, s := range d.Settings {
		if out[s.Key] != "" {
			continue
		}
		switch {
		case s.Default != "":
			out[s.Key] = s.Default
		case s.Required:
			errs = append(errs, SettingError{Key: s.Key, Message: "required"})
		}
	}
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Key < errs[j].Key })
		return nil, errs
	}
	return out, nil
}
