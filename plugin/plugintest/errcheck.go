package plugintest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// MaxErrorLen bounds the message of a provider's error, in bytes: an
// upstream's body must be cut to a snippet (plugin.Snippet), not carried
// whole into logs and across the plugin boundary. The kit enforces the same
// bound in-process and through the host, where it measures the provider's
// message without the words the host puts before it.
const MaxErrorLen = 1024

// quoteLen is how much of an offending error a report quotes.
const quoteLen = 200

// errorShape is what every error of a provider must look like.
type errorShape struct {
	prefix string // the message starts with it, if set
	name   string // else the message names the provider
	maxLen int
	host   bool // seen through the host: only the kind, retry-after and text cross
}

// quoteErr quotes an error message for a report: once, cut to quoteLen
// bytes, with its length when cut.
func quoteErr(msg string) string {
	if len(msg) <= quoteLen {
		return fmt.Sprintf("%q", msg)
	}
	return fmt.Sprintf("%q... (%d bytes)", strings.ToValidUTF8(msg[:quoteLen], ""), len(msg))
}

// checkFault reports what is wrong with what a provider returned for fault
// f, in one report that quotes the error once; secrets maps a name to each
// value no error may quote a piece of.
func checkFault(r reporter, f Fault, tok *oauth2.Token, err error, shape errorShape, secrets map[string]string) {
	r.Helper()
	if err == nil {
		r.Errorf("%s", noError(f, tok))
		return
	}
	named := maps.Clone(secrets)
	if f.Secret != "" {
		named["the token in the upstream's answer"] = f.Secret
	}
	msg := err.Error()
	if shape.host && strings.Contains(msg, "token expired on arrival") {
		r.Errorf("%s let through an answer whose token had already expired, and the host refused it: "+
			"reject nonsense lifetimes with plugin.ExpiryAfterSeconds (RunFaults shows it in-process)", shape.name)
		return
	}
	var problems []string
	if !errors.Is(err, f.Want) {
		problems = append(problems, wrongKind(err, f.Want))
	}
	if f.RetryAfter > 0 && plugin.RetryAfterOf(err) != f.RetryAfter {
		problems = append(problems, fmt.Sprintf("carries retry-after %v, want the upstream's %v", plugin.RetryAfterOf(err), f.RetryAfter))
	}
	if f.Redirect != 0 && !shape.host && !errors.Is(err, plugin.ErrCrossOriginRedirect) {
		problems = append(problems, "does not match plugin.ErrCrossOriginRedirect (use plugin.Do or plugin.NewHTTPClient)")
	}
	if f.Hang && !errors.Is(err, context.DeadlineExceeded) {
		problems = append(problems, "does not match context.DeadlineExceeded: "+fixContext)
	}
	if f.Says != "" && !strings.Contains(msg, f.Says) {
		problems = append(problems, fmt.Sprintf("does not say %q", f.Says))
	}
	problems = append(problems, shapeProblems(err, shape, named)...)
	report(r, err, named, problems)
}

// noError is the report for a fault the provider answered with a token.
func noError(f Fault, tok *oauth2.Token) string {
	if tok != nil && !tok.Expiry.IsZero() && !tok.Expiry.After(time.Now()) {
		if v, ok := expiresIn(f.Body); ok {
			return fmt.Sprintf("expires_in %s produced an expiry in the past: reject it with plugin.ExpiryAfterSeconds", v)
		}
		return "the answer produced an expiry in the past: reject nonsense lifetimes with plugin.ExpiryAfter, ExpiryAfterSeconds or CheckExpiry"
	}
	return fmt.Sprintf("no error; want a %v error", f.Want)
}

// expiresIn returns the expires_in member of a JSON body, as written.
func expiresIn(body string) (string, bool) {
	var v struct {
		ExpiresIn json.RawMessage `json:"expires_in"`
	}
	if json.Unmarshal([]byte(body), &v) != nil || v.ExpiresIn == nil {
		return "", false
	}
	return string(v.ExpiresIn), true
}

// wrongKind says how err's kind differs from want.
func wrongKind(err, want error) string {
	var e *plugin.Error
	if !errors.As(err, &e) && !errors.Is(err, plugin.ErrConfig) {
		return fmt.Sprintf("is an unclassified error, want %v: wrap it with plugin.Temporary / Permanent / RateLimited", want)
	}
	return fmt.Sprintf("is %v, want %v", plugin.KindOf(err), want)
}

// checkShape reports an error message that does not start with its prefix
// (or, without one, name the provider), is too long, or holds a piece of
// a secret.
func checkShape(r reporter, err error, shape errorShape, secrets map[string]string) {
	r.Helper()
	report(r, err, secrets, shapeProblems(err, shape, secrets))
}

func shapeProblems(err error, shape errorShape, secrets map[string]string) []string {
	msg := err.Error()
	var problems []string
	switch {
	case shape.prefix != "" && !strings.HasPrefix(msg, shape.prefix):
		problems = append(problems, fmt.Sprintf("does not start with %q", shape.prefix))
	case shape.prefix == "" && !strings.Contains(msg, shape.name):
		problems = append(problems, fmt.Sprintf("does not name the provider %q", shape.name))
	}
	if own := providerMessage(err, shape.host); len(own) > shape.maxLen {
		problems = append(problems, fmt.Sprintf("is %d bytes long, over %d: cut the upstream's body to a snippet (plugin.Snippet)", len(own), shape.maxLen))
	}
	for name, v := range secrets {
		if ContainsPart(msg, v) {
			problems = append(problems, "contains part of "+name)
		}
	}
	return problems
}

// providerMessage is the provider's own part of err's message: through the
// host, without the words the host puts before it.
func providerMessage(err error, host bool) string {
	var e *plugin.Error
	if host && errors.As(err, &e) && e.Provider != "" {
		return e.Err.Error()
	}
	return err.Error()
}

// report makes one report of problems with err, quoting it once, redacted.
func report(r reporter, err error, secrets map[string]string, problems []string) {
	r.Helper()
	if len(problems) == 0 {
		return
	}
	r.Errorf("error %s %s", quoteErr(redactParts(err.Error(), values(secrets)...)), strings.Join(problems, "; "))
}
