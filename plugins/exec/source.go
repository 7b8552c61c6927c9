package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/internal/redact"
	"github.com/tokenplug/tokenplug/plugin"
)

// source runs the helper on every call; the host caches, refreshes and
// makes concurrent callers share one run. It is immutable.
type source struct {
	job      job
	parser   parser
	lifetime time.Duration
	secrets  []string
	now      func() time.Time
}

// Token runs the helper.
func (s *source) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

// TokenContext runs the helper; ctx ending kills it.
func (s *source) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	o := s.job.run(ctx)
	received := s.now()
	stderr := s.redactStderr(o)
	s.log(o, stderr)
	if err := s.failure(o, stderr); err != nil {
		return nil, err
	}
	r, err := s.parser.parse(o.stdout, received)
	if err != nil {
		// A helper's own report of failure is quoted: scrub it as stderr.
		return nil, s.errorf(err, "%s", s.scrub(err.Error()))
	}
	exp, err := s.expiry(r, received)
	if err != nil {
		return nil, s.errorf(err, "%w", err)
	}
	return &oauth2.Token{AccessToken: r.token, TokenType: "Bearer", Expiry: exp}, nil
}

// expiry is the output's expiry, else the JWT's exp, else lifetime.
func (s *source) expiry(r result, received time.Time) (time.Time, error) {
	if !r.expiry.IsZero() {
		return r.expiry, nil
	}
	if exp, ok, err := plugin.JWTTokenExpiry(r.token, received); ok || err != nil {
		return exp, err
	}
	return received.Add(s.lifetime), nil
}

// failure classifies a run that did not end with exit status 0.
func (s *source) failure(o outcome, stderr string) error {
	prog := filepath.Base(s.job.argv[0])
	last := lastLine(stderr)
	switch {
	case o.startErr != nil:
		return plugin.SettingError{Key: SettingCommand, Message: fmt.Sprintf("program %s: cannot run: %v", s.job.argv[0], startCause(o.startErr))}
	case o.overflow:
		return plugin.Temporary(fmt.Errorf("tokenplug/exec: %s printed more than %d bytes; it was stopped", prog, MaxOutput))
	case o.waitErr == nil && !o.timedOut && o.canceled == nil:
		return nil
	case prompted(stderr):
		return plugin.Permanent(fmt.Errorf("tokenplug/exec: %s wanted to prompt, and helpers run without a terminal; run it once by hand to log in (it said: %s)", prog, last))
	case o.canceled != nil:
		// The host's fetch timeout (host.WithFetchTimeout, 30s by
		// default) or the caller's context ended first.
		return plugin.Temporary(fmt.Errorf("tokenplug/exec: %s was killed with its process group when the caller stopped waiting%s: %w", prog, saying(last), o.canceled))
	case o.timedOut:
		return plugin.Temporary(fmt.Errorf("tokenplug/exec: %s did not finish within %v; it was killed with its process group%s", prog, s.job.timeout, saying(last)))
	}
	status, ok := exitStatus(o.waitErr)
	switch {
	case !ok:
		return plugin.Temporary(fmt.Errorf("tokenplug/exec: %s: %w", prog, o.waitErr))
	case status < 0:
		return plugin.Temporary(fmt.Errorf("tokenplug/exec: %s was killed by a signal%s", prog, saying(last)))
	case status == 1 && last == "" && len(bytes.TrimSpace(o.stdout)) == 0:
		return plugin.Temporary(fmt.Errorf("tokenplug/exec: %s exited with status 1 and printed nothing", prog))
	case status == exTempFail:
		return plugin.Temporary(fmt.Errorf("tokenplug/exec: %s exited with status %d (temporary failure)%s", prog, status, saying(last)))
	}
	// A helper that says why it failed has usually judged the user's
	// credentials (not logged in, session expired): a person must act, so
	// the host does not hammer it.
	return plugin.Permanent(fmt.Errorf("tokenplug/exec: %s exited with status %d%s", prog, status, saying(last)))
}

// startCause is why a start failed, without the path PathError repeats.
func startCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// exTempFail is EX_TEMPFAIL of sysexits.h: "try again later".
const exTempFail = 75

func saying(last string) string {
	if last == "" {
		return ""
	}
	return ": " + last
}

// errorf wraps err (from parsing) as "tokenplug/exec: <prog>: ...",
// keeping its kind.
func (s *source) errorf(err error, format string, args ...any) error {
	wrapped := fmt.Errorf("tokenplug/exec: %s: "+format, append([]any{filepath.Base(s.job.argv[0])}, args...)...)
	return &plugin.Error{Kind: plugin.KindOf(err), Err: wrapped}
}

// promptSigns are what helpers print when they want a person: a terminal
// they cannot open (the helper runs in a session without one), or a
// device-code login (kubelogin, az login, gcloud's --no-browser).
var promptSigns = []string{
	"/dev/tty", "no such device or address", "not a terminal", "inappropriate ioctl for device",
	"device code", "devicelogin", "to sign in, use a web browser", "enter the code",
}

func prompted(stderr string) bool {
	low := strings.ToLower(stderr)
	for _, s := range promptSigns {
		if strings.Contains(low, s) {
			return true
		}
	}
	return false
}

// bearerish are spans of stderr that look like credentials, whatever the
// helper: a JWT, or what follows "Bearer ".
var bearerish = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_.-]+|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}`)

// redactStderr returns the kept stderr with the env values, anything in
// stdout that could be a token, and anything that looks like a credential
// replaced by redact.Mask.
func (s *source) redactStderr(o outcome) string {
	var words []string
	if len(o.stdout) <= 64<<10 { // a flood is no token; its words are not worth the time
		for _, w := range strings.FieldsFunc(string(o.stdout), notTokenChar) {
			if len(w) >= redact.MinLen {
				words = append(words, w)
			}
		}
	}
	return s.scrub(strings.ToValidUTF8(string(o.stderr), "\uFFFD"), words...)
}

// scrub replaces in text the env values, more (words of the output), and
// anything that looks like a credential by redact.Mask.
func (s *source) scrub(text string, more ...string) string {
	out := redact.String(text, append(more, s.secrets...)...)
	return bearerish.ReplaceAllString(out, redact.Mask)
}

// notTokenChar splits output into the words that could be tokens: JSON's
// quotes, colons and commas end them, as do spaces.
func notTokenChar(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._~+/=-", r))
}

// lastLine is the last non-blank line of stderr, as one printable line.
func lastLine(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	return oneLine(lines[len(lines)-1], 300)
}

// log records the run in the plugin's log (which the host bridges into
// its own): how it ended and the redacted end of stderr, never stdout.
func (s *source) log(o outcome, stderr string) {
	status, _ := exitStatus(o.waitErr)
	plugin.Logger().Debug("helper ran", slog.String("program", s.job.argv[0]), slog.Int("status", status),
		slog.Bool("timed_out", o.timedOut), slog.Int("stdout_bytes", len(o.stdout)), slog.String("stderr", stderr))
}
