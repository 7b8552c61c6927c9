// Package redact removes secrets from text that may reach a log or an
// error message: the secret itself, every line of a multi-line secret, and
// the standard encodings an upstream or a careless plugin may echo
// (base64 and base64url, padded or raw, at every byte alignment, so that a
// Basic authorization header's "id:secret" pair is caught; hex, lower or
// upper case; URL query and path escaping; JSON string escaping).
//
// It is shared by the host, which scrubs what crosses the plugin boundary,
// and the plugin SDK's Redact and Snippet.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// Mask replaces each redacted span of text.
const Mask = "[REDACTED]"

// MinLen is the length, in bytes, from which a secret's encodings and a
// multi-line secret's lines are redacted wherever they appear. A shorter
// value would match by chance (a 3-byte secret's base64 is 4 characters)
// and redact unrelated text; the secret itself is always redacted.
const MinLen = 6

// Redactor redacts a fixed set of secrets. Build it once with New and use
// it for many strings; it is safe for concurrent use.
type Redactor struct {
	needles []string        // redacted wherever they appear
	lines   map[string]bool // short lines of multi-line secrets: redacted where they fill a line
}

// String returns s with every secret, encoding and line of one in secrets
// replaced by Mask. It builds a Redactor for one use.
func String(s string, secrets ...string) string {
	return New(secrets...).String(s)
}

// New returns a Redactor for secrets; empty secrets are ignored.
func New(secrets ...string) *Redactor {
	r := &Redactor{lines: map[string]bool{}}
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		r.needles = append(r.needles, sec)
		if len(sec) >= MinLen {
			r.needles = append(r.needles, encodings(sec)...)
		}
		r.addLines(sec)
	}
	slices.Sort(r.needles)
	r.needles = slices.Compact(r.needles)
	return r
}

// addLines records each line of a multi-line secret: a PEM key printed by
// a plugin reaches the host's log one line at a time.
func (r *Redactor) addLines(sec string) {
	if !strings.ContainsAny(sec, "\r\n") {
		return
	}
	for line := range strings.Lines(sec) {
		switch line = strings.TrimSpace(line); {
		case len(line) >= MinLen:
			r.needles = append(r.needles, line)
		case line != "":
			r.lines[line] = true
		}
	}
}

// String returns s with every secret span replaced by Mask. Overlapping
// and adjacent spans become one Mask, so no part of a secret survives
// between two replacements.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	spans := r.spans(s)
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	end := 0
	for _, sp := range merge(spans) {
		b.WriteString(s[end:sp.from])
		b.WriteString(Mask)
		end = sp.to
	}
	b.WriteString(s[end:])
	return b.String()
}

type span struct{ from, to int }

// spans returns where secrets occur in s, in no particular order.
func (r *Redactor) spans(s string) []span {
	var out []span
	for _, n := range r.needles {
		for i := 0; i+len(n) <= len(s); {
			j := strings.Index(s[i:], n)
			if j < 0 {
				break
			}
			out = append(out, span{i + j, i + j + len(n)})
			i += j + 1
		}
	}
	if len(r.lines) == 0 {
		return out
	}
	pos := 0
	for line := range strings.Lines(s) {
		if t := strings.TrimSpace(line); r.lines[t] {
			from := pos + strings.Index(line, t)
			out = append(out, span{from, from + len(t)})
		}
		pos += len(line)
	}
	return out
}

// merge sorts spans and joins those that overlap or touch.
func merge(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return a.from - b.from })
	out := spans[:1]
	for _, sp := range spans[1:] {
		last := &out[len(out)-1]
		if sp.from <= last.to {
			last.to = max(last.to, sp.to)
			continue
		}
		out = append(out, sp)
	}
	return out
}

// encodings returns the forms of sec that an upstream or a library may
// print instead of sec itself.
func encodings(sec string) []string {
	var out []string
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		out = append(out, enc.EncodeToString([]byte(sec)), enc.WithPadding(base64.NoPadding).EncodeToString([]byte(sec)))
		out = append(out, aligned(enc, sec)...)
	}
	// Hex needs no alignment variants: each byte is two characters of its
	// own, so sec's hex stands whole inside the hex of a longer value.
	h := hex.EncodeToString([]byte(sec))
	out = append(out, h, strings.ToUpper(h))
	out = append(out, url.QueryEscape(sec), url.PathEscape(sec))
	out = append(out, jsonEscapes(sec)...)
	return slices.DeleteFunc(out, func(e string) bool { return e == sec || e == "" })
}

// aligned returns, for each of the three byte offsets at which sec can
// start inside a longer encoded value (such as "client_id:" + sec in a
// Basic authorization header), the base64 characters that depend on sec's
// bytes alone. The one or two characters at each end also carry bits of
// the neighbouring bytes, so they are left out: a few bits of a secret
// are not the secret.
func aligned(enc *base64.Encoding, sec string) []string {
	raw := enc.WithPadding(base64.NoPadding)
	var out []string
	for off := range 3 {
		buf := make([]byte, off+len(sec))
		copy(buf[off:], sec)
		e := raw.EncodeToString(buf)
		from, to := (8*off+5)/6, 8*len(buf)/6
		if to > from {
			out = append(out, e[from:to])
		}
	}
	return out
}

// jsonEscapes returns sec as it appears inside a JSON string, with and
// without HTML escaping ("\u003c" for "<").
func jsonEscapes(sec string) []string {
	var out []string
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if enc.Encode(sec) == nil {
			e := strings.TrimSuffix(b.String(), "\n")
			out = append(out, e[1:len(e)-1])
		}
	}
	return out
}
