package exec

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tokenplug/tokenplug/plugin"
)

// config is a checked configuration.
type config struct {
	job      job
	parser   parser
	lifetime time.Duration
	secrets  []string // env_values' values, redacted from stderr
}

// parseSettings checks every setting, reporting each bad one by key.
func parseSettings(s map[string]string) (config, error) {
	var c config
	var errs plugin.SettingErrors
	add := func(err error) {
		var se plugin.SettingError
		if errors.As(err, &se) {
			errs = append(errs, se)
		}
	}
	c.parser.format = Format(strings.TrimSpace(s[SettingFormat]))
	if c.parser.format == "" {
		c.parser.format = FormatAuto
	}
	add(checkFormat(c.parser.format, s))
	c.parser.tokenField, c.parser.expiryField = strings.TrimSpace(s[SettingTokenField]), strings.TrimSpace(s[SettingExpiryField])
	var err error
	c.lifetime, err = plugin.DurationUpTo(s, SettingLifetime, DefaultLifetime, MaxLifetime)
	add(err)
	c.job.timeout, err = plugin.DurationUpTo(s, SettingTimeout, DefaultTimeout, MaxTimeout)
	add(err)
	c.job.dir, err = workDir(s[SettingDir])
	add(err)
	c.job.env, c.secrets, err = environment(s[SettingEnv], s[SettingEnvValues])
	add(err)
	if c.job.argv, err = commandLine(s[SettingCommand], c.job.dir); err != nil {
		add(err)
	}
	if len(errs) > 0 {
		return config{}, errs
	}
	return c, nil
}

func checkFormat(f Format, s map[string]string) error {
	if !slices.Contains(formats, f) {
		return plugin.SettingError{Key: SettingFormat, Message: "must be one of auto, text, json, exec_credential, google_executable"}
	}
	for _, k := range []string{SettingTokenField, SettingExpiryField} {
		if strings.TrimSpace(s[k]) != "" && f != FormatJSON && f != FormatAuto {
			return plugin.SettingError{Key: k, Message: "applies only to format json (or auto)"}
		}
	}
	return nil
}

// workDir checks dir: empty (the plugin's own working directory) or an
// existing directory, made absolute.
func workDir(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", plugin.SettingError{Key: SettingDir, Message: "cannot be made absolute"}
	}
	fi, err := os.Stat(abs)
	switch {
	case err != nil:
		return "", plugin.SettingError{Key: SettingDir, Message: fmt.Sprintf("%s: %v", abs, errors.Unwrap(err))}
	case !fi.IsDir():
		return "", plugin.SettingError{Key: SettingDir, Message: abs + " is not a directory"}
	}
	return abs, nil
}

// commandLine splits command and finds its program: a path with a slash
// is taken as it is (relative: to dir), a bare name is looked up on PATH.
// A program that is missing or not executable is a SettingError naming
// it; the arguments, which might hold a secret, are never quoted.
func commandLine(command, dir string) ([]string, error) {
	argv, err := splitWords(command)
	switch {
	case err != nil:
		return nil, plugin.SettingError{Key: SettingCommand, Message: err.Error()}
	case len(argv) == 0:
		return nil, plugin.SettingError{Key: SettingCommand, Message: "names no program"}
	case assignment.MatchString(argv[0]):
		// Not quoted: the value is often the secret itself.
		return nil, plugin.SettingError{Key: SettingCommand, Message: "starts with a variable assignment (NAME=value), which only a shell reads; list the variable's name in env instead"}
	}
	prog := argv[0]
	if strings.Contains(prog, "/") && !filepath.IsAbs(prog) {
		base := dir
		if base == "" {
			base, _ = os.Getwd()
		}
		prog = filepath.Join(base, prog)
	}
	path, err := osexec.LookPath(prog)
	if err != nil {
		return nil, plugin.SettingError{Key: SettingCommand, Message: fmt.Sprintf("program %q: %v", prog, lookErr(err))}
	}
	argv[0] = path
	return argv, nil
}

// lookErr says why LookPath failed, without repeating the name.
func lookErr(err error) error {
	var ee *osexec.Error
	if errors.As(err, &ee) {
		if errors.Is(ee.Err, osexec.ErrNotFound) {
			return errors.New("not found on PATH")
		}
		return ee.Err
	}
	return err
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// assignment is a shell's NAME=value prefix to a command.
var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// environment builds the helper's whole environment: PATH and HOME, then
// each variable env names, valued from env_values (which hostconfig fills
// from the application's environment) or else from this process's own
// environment (which a host passes only what it allows: host.WithEnv).
// It also returns the values, to redact from the helper's stderr.
func environment(names, valuesJSON string) (env, secrets []string, err error) {
	values := map[string]string{}
	if strings.TrimSpace(valuesJSON) != "" {
		if json.Unmarshal([]byte(valuesJSON), &values) != nil {
			return nil, nil, plugin.SettingError{Key: SettingEnvValues, Message: "not a JSON object of strings"}
		}
	}
	list := []string{"PATH", "HOME"}
	for i, n := range strings.FieldsFunc(names, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if !envName.MatchString(n) {
			// Not quoted: a NAME=value written here may hold a secret.
			return nil, nil, plugin.SettingError{Key: SettingEnv, Message: fmt.Sprintf("entry %d is not a variable name (want names only, no values)", i+1)}
		}
		if !slices.Contains(list, n) {
			list = append(list, n)
		}
	}
	for i, n := range list {
		v, ok := values[n]
		if !ok {
			v, ok = os.LookupEnv(n)
		}
		if ok {
			env = append(env, n+"="+v)
			if i >= 2 {
				secrets = append(secrets, v)
			}
		}
	}
	return env, secrets, nil
}
