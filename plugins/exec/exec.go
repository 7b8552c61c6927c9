// Package exec is the tokenplug provider that runs a credential helper, a
// program that prints a token (az account get-access-token, gcloud auth
// print-access-token, ibmcloud iam oauth-tokens, vault print token,
// kubelogin, an in-house script), and hands the token to the host, which
// caches it, refreshes it and collapses concurrent callers into one run.
//
// Settings:
//
//	command       required: the command line, split into words as a POSIX
//	              shell would (quotes and backslashes honoured; $VAR, globs,
//	              ~ and redirections are NOT expanded) and run without a
//	              shell. The program is an absolute path, a path relative
//	              to dir (when it holds a slash), or found on PATH. Keep
//	              secrets out of it: pass them through env
//	format        auto (default), text, json, exec_credential,
//	              google_executable
//	token_field   json: dotted path of the token (default: the known fields)
//	expiry_field  json: dotted path of the expiry (default: the known fields)
//	lifetime      how long a token whose expiry the output does not give,
//	              nor its JWT exp, is used before the helper runs again:
//	              default 5m, at most 24h
//	timeout       default 30s, at most 10m; at the deadline the helper's
//	              whole process group is killed
//	env           names of environment variables the helper also gets,
//	              space or comma separated; it always gets PATH and HOME
//	              and nothing else
//	env_values    secret, set by hostconfig: the application's values of
//	              the names in env, as a JSON object
//	dir           working directory (hostconfig's default: the directory of
//	              the configuration file)
//
// See docs/exec.md for the output formats and worked configurations.
package exec

import (
	"context"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// Name is the provider's name; its binary is tokenplug-exec.
const Name = "exec"

// Version is the provider's version.
const Version = "1.0.0"

// Setting keys (user-facing API).
const (
	SettingCommand     = "command"
	SettingFormat      = "format"
	SettingTokenField  = "token_field"
	SettingExpiryField = "expiry_field"
	SettingLifetime    = "lifetime"
	SettingTimeout     = "timeout"
	SettingEnv         = "env"
	SettingEnvValues   = "env_values"
	SettingDir         = "dir"
)

// Defaults and bounds.
const (
	// DefaultLifetime is how long a token of unknown expiry is used: short
	// enough that a revoked or rotated token is dropped soon, long enough
	// that a helper taking a second does not run on every request.
	DefaultLifetime = 5 * time.Minute
	// MaxLifetime bounds lifetime: a token of unknown expiry is never used
	// "forever".
	MaxLifetime = 24 * time.Hour
	// DefaultTimeout bounds one run of the helper.
	DefaultTimeout = 30 * time.Second
	// MaxTimeout bounds the timeout setting: a helper that needs longer is
	// waiting for a person.
	MaxTimeout = 10 * time.Minute
)

// Provider runs credential helpers. The zero value is ready to use and
// safe for concurrent use.
type Provider struct {
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// New returns a Provider.
func New() Provider { return Provider{} }

// Describe declares the provider's settings. It has no default hosts: a
// helper's tokens go only where the configuration's hosts say.
func (Provider) Describe() plugin.Description {
	return plugin.Description{
		Name:    Name,
		Version: Version,
		Settings: []plugin.Setting{
			{Key: SettingCommand, Description: "the helper's command line, split as a POSIX shell would, run without a shell", Required: true},
			{Key: SettingFormat, Description: "output format: auto, text, json, exec_credential, google_executable", Default: string(FormatAuto)},
			{Key: SettingTokenField, Description: "json: dotted path of the token (default: the known fields)"},
			{Key: SettingExpiryField, Description: "json: dotted path of the expiry (default: the known fields)"},
			{Key: SettingLifetime, Description: "how long a token of unknown expiry is used, at most 24h", Default: "5m"},
			{Key: SettingTimeout, Description: "how long one run may take, at most 10m; then its process group is killed", Default: "30s"},
			{Key: SettingEnv, Description: "further environment variables the helper gets (names, space or comma separated); it always gets PATH and HOME"},
			{Key: SettingEnvValues, Description: "set by hostconfig: the application's values of the variables env names (a JSON object)", Secret: true},
			{Key: SettingDir, Description: "working directory; a relative program path is resolved against it"},
		},
	}
}

// Configure checks the settings and finds the program.
func (p Provider) Configure(_ context.Context, s map[string]string) (oauth2.TokenSource, error) {
	c, err := parseSettings(s)
	if err != nil {
		return nil, err
	}
	now := p.Now
	if now == nil {
		now = time.Now
	}
	return &source{job: c.job, parser: c.parser, lifetime: c.lifetime, secrets: c.secrets, now: now}, nil
}
