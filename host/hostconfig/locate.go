package hostconfig

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/plugin"
)

// validate checks every provider as Register will, and the cache section,
// reporting each problem at its line.
func (c *Config) validate() error {
	var errs []error
	for _, name := range c.Names() {
		if err := c.Providers[name].Validate(name); err != nil {
			errs = append(errs, c.Locate(err))
		}
	}
	if c.Cache != nil && c.Cache.Redis != nil {
		if err := c.Cache.Redis.config(nil).Validate(); err != nil {
			errs = append(errs, c.locateCache(err))
		}
	}
	return joinErrors(c.File, errs)
}

// Locate places err in the file, when it is about a provider's value:
//
//   - each *host.ConfigError (from Register, Validate or Warm), however
//     joined, becomes "tokenplug: config FILE:LINE: providers.NAME.PATH:
//     what is wrong";
//   - a provider's error about its settings (plugin.SettingErrors, from
//     the plugin: an undeclared or missing setting) gets "(FILE:LINE)" of
//     the first setting it names.
//
// Other errors come back as they are. errors.Is and errors.As still reach
// the cause.
func (c *Config) Locate(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs := j.Unwrap()
		out := make([]error, len(errs))
		for i, e := range errs {
			out[i] = c.Locate(e)
		}
		return errors.Join(out...)
	}
	var ce *host.ConfigError
	if errors.As(err, &ce) {
		return c.errorAt(providerPath(ce.Provider, ce.Path), ce.Err, err)
	}
	var he *host.Error
	var se plugin.SettingErrors
	if errors.As(err, &he) && errors.As(err, &se) && len(se) > 0 {
		// The message is the host's, scrubbed of secrets: keep it whole.
		pos := c.Position(providerPath(he.Provider, "settings."+se[0].Key))
		return &locatedError{msg: fmt.Sprintf("%s (%s)", err, pos), err: err}
	}
	return err
}

// providerPath is the file's path of a value of provider name.
func providerPath(name, path string) string {
	if path == "" {
		return "providers." + name
	}
	return "providers." + name + "." + path
}

// Errorf returns an error about the value at path (such as
// "providers.watson.settings.apikey"), located at its line in the file:
//
//	tokenplug: config tokenplug.yaml:12: providers.watson.settings.apikey: <message>
//
// Never put a setting's value in the message.
func (c *Config) Errorf(path, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %s", c.where(path), path, fmt.Sprintf(format, args...))
}

// errorAt is Errorf for cause, keeping chain reachable through errors.Is
// and errors.As.
func (c *Config) errorAt(path string, cause, chain error) error {
	return &locatedError{msg: fmt.Sprintf("%s: %s: %v", c.where(path), path, cause), err: chain}
}

// Position returns "FILE:LINE" for the value at path, or for its nearest
// ancestor the file has (a setting left out is placed at its provider), or
// just "FILE".
func (c *Config) Position(path string) string {
	for p := path; p != ""; {
		if line := c.lines[p]; line > 0 {
			return fmt.Sprintf("%s:%d", c.File, line)
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return c.File
}

func (c *Config) where(path string) string { return "tokenplug: config " + c.Position(path) }

// locatedError is an error placed in the file: its own message, and the
// error it is about as its cause.
type locatedError struct {
	msg string
	err error
}

func (e *locatedError) Error() string { return e.msg }
func (e *locatedError) Unwrap() error { return e.err }
