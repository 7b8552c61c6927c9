package exec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tokenplug/tokenplug/plugin"
)

// Format names how a helper's output is read (the format setting).
type Format string

// The formats.
const (
	FormatAuto             Format = "auto"              // detect: JSON object by its fields, else text
	FormatText             Format = "text"              // the token alone on the first line
	FormatJSON             Format = "json"              // a JSON object; token_field and expiry_field say where
	FormatExecCredential   Format = "exec_credential"   // Kubernetes client.authentication.k8s.io ExecCredential
	FormatGoogleExecutable Format = "google_executable" // Google executable-sourced credential response
)

var formats = []Format{FormatAuto, FormatText, FormatJSON, FormatExecCredential, FormatGoogleExecutable}

// want says what a format expects, for the error about output that is not
// what it expects.
var want = map[Format]string{
	FormatAuto:             "a token on the first line, or a JSON object holding one (see docs/exec.md for the fields known)",
	FormatText:             "the token alone on the first line",
	FormatJSON:             "a JSON object holding the token",
	FormatExecCredential:   "a client.authentication.k8s.io/v1 or v1beta1 ExecCredential with status.token",
	FormatGoogleExecutable: "a Google executable-sourced credential response (version 1)",
}

// parser reads a helper's output. Its methods are pure functions of the
// output and the time given: they never quote the output in an error,
// since it may hold a token.
type parser struct {
	format      Format
	tokenField  string // json: dotted path of the token; "" means the known fields
	expiryField string // json: dotted path of the expiry; "" means the known fields
}

// result is what a helper's output says: a token and, if the output gave
// one, its expiry.
type result struct {
	token  string
	expiry time.Time // zero: the output gave none
}

// parse reads out, received at now. Errors are classified: output that is
// not the format expected is Temporary (a later run may print the right
// thing), a helper's own report of failure is Permanent, and output that
// tokenplug cannot use (an ExecCredential with a client certificate) is a
// configuration error.
func (p parser) parse(out []byte, now time.Time) (result, error) {
	f := p.format
	if f == FormatAuto {
		f = detect(out)
	}
	var (
		r   result
		err error
	)
	if f == FormatText {
		r, err = parseText(out)
	} else {
		r, err = p.parseJSON(f, out, now)
	}
	if err != nil {
		return result{}, err
	}
	if !validToken(r.token) {
		return result{}, p.garbage("the token holds spaces, control characters or non-ASCII bytes")
	}
	return r, nil
}

// garbage is a Temporary error about output that is not what p expects.
func (p parser) garbage(why string) error {
	return plugin.Temporary(fmt.Errorf("the helper's output is not usable (%s); format %s wants %s", why, p.format, want[p.format]))
}

// detect picks the format of output for auto: a JSON object is an
// ExecCredential (by apiVersion and kind), a Google executable response
// (by version and success), or JSON with known fields; anything else is
// text.
func detect(out []byte) Format {
	trimmed := bytes.TrimSpace(out)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return FormatText
	}
	obj, err := decodeObject(trimmed)
	if err != nil {
		return FormatJSON // reported by parseJSON, as JSON
	}
	if kind, _ := obj["kind"].(string); kind == "ExecCredential" {
		return FormatExecCredential
	}
	if _, ok := obj["version"]; ok {
		if _, ok := obj["success"]; ok {
			return FormatGoogleExecutable
		}
	}
	return FormatJSON
}

// parseText reads the token from the first line (text format).
func parseText(out []byte) (result, error) {
	line, _, _ := bytes.Cut(out, []byte("\n"))
	tok := strings.TrimSpace(string(line))
	if tok == "" {
		return result{}, parser{format: FormatText}.garbage("the first line is empty")
	}
	return result{token: tok}, nil
}

func (p parser) parseJSON(f Format, out []byte, now time.Time) (result, error) {
	obj, err := decodeObject(bytes.TrimSpace(out))
	if err != nil {
		return result{}, p.garbage(err.Error())
	}
	switch f {
	case FormatExecCredential:
		return p.execCredential(obj, now)
	case FormatGoogleExecutable:
		return p.googleExecutable(obj, now)
	}
	return p.fields(obj, now)
}

// decodeObject decodes a JSON object, numbers kept as json.Number. Its
// errors say where, never what.
func decodeObject(b []byte) (map[string]any, error) {
	if len(b) == 0 {
		return nil, errors.New("nothing was printed")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		var syn *json.SyntaxError
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("not JSON: truncated at byte %d", len(b))
		}
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("not JSON: invalid syntax at byte %d of %d", syn.Offset, len(b))
		}
		return nil, errors.New("not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return obj, nil
}

// validToken reports whether tok can go in a header as a token: visible
// ASCII only (RFC 6750 §2.1's b64token is a subset; vendors' opaque tokens
// stay within it), so no output can split a header or smuggle a line.
func validToken(tok string) bool {
	if tok == "" {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < 0x21 || tok[i] > 0x7e {
			return false
		}
	}
	return true
}
