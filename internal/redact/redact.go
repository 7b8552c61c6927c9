// Package redact removes secrets from text that may reach a log or an
// error message: the secret itself, every line of a multi-line secret, and
// the standard encodings an upstream or a careless plugin may echo
// (base64 and base64url, padded or raw, at every byte alignment, so that a
// Basic authorization header's "id:secret" pair is caught; hex, lower or
// upper case; percent-encoding in either case, and form encoding; JSON
// string escaping as any encoder writes it: `\/`, `\u003d`, `\u00e4`).
//
// A secret shorter than MinLen is redacted only where it stands as a whole
// word (between characters that are not letters or digits), and its
// encodings not at all: a one-letter test key "k" must not blank every k
// of every message. TooShort tells a host which values to warn about.
//
// It is shared by the host, which scrubs what crosses the plugin boundary,
// and the plugin SDK's Redact and Snippet.
package redact

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mask replaces each redacted span of text.
const Mask = "[REDACTED]"

// MinLen is the length, in bytes, from which a secret, its encodings and a
// multi-line secret's lines are redacted wherever they appear. A shorter
// value would match by chance (a 3-byte secret's base64 is 4 characters)
// and redact unrelated text: it is redacted only as a whole word.
const MinLen = 6

// TooShort reports whether secret is too short to be redacted safely: it
// is redacted only where it stands as a whole word, and its encodings
// are not redacted at all.
func TooShort(secret string) bool { return secret != "" && len(secret) < MinLen }

// Redactor redacts a fixed set of secrets. Build it once with New and use
// it for many strings; it is safe for concurrent use.
type Redactor struct {
	needles []string        // redacted wherever they appear, escaped or not
	words   []string        // secrets under MinLen: redacted where they stand as a whole word
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
		if TooShort(sec) {
			r.words = append(r.words, sec)
		} else {
			r.needles = append(r.needles, sec)
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

// spans returns where secrets occur in s, in no particular order: in s
// itself, and in each unescaped view of s, mapped back to s.
func (r *Redactor) spans(s string) []span {
	var out []span
	for _, n := range r.needles {
		out = find(out, s, n, nil)
	}
	for _, w := range r.words {
		out = find(out, s, w, isWholeWord)
	}
	if len(r.needles) == 0 {
		return r.lineSpans(out, s)
	}
	for _, u := range unescapers {
		v, ok := u.view(s)
		if !ok {
			continue
		}
		for _, n := range r.needles {
			for _, sp := range find(nil, v, n, nil) {
				out = append(out, u.source(s, sp.from, sp.to))
			}
		}
	}
	return r.lineSpans(out, s)
}

// find appends to out every occurrence of n in s that ok (nil: any)
// accepts.
func find(out []span, s, n string, ok func(s string, sp span) bool) []span {
	for i := 0; i+len(n) <= len(s); {
		j := strings.Index(s[i:], n)
		if j < 0 {
			break
		}
		if sp := (span{i + j, i + j + len(n)}); ok == nil || ok(s, sp) {
			out = append(out, sp)
		}
		i += j + 1
	}
	return out
}

// isWholeWord reports whether s[sp.from:sp.to] has no letter or digit
// right before or after it.
func isWholeWord(s string, sp span) bool {
	before, _ := utf8.DecodeLastRuneInString(s[:sp.from])
	after, _ := utf8.DecodeRuneInString(s[sp.to:])
	return !isAlnum(before) && !isAlnum(after)
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// lineSpans appends to out where a short line of a multi-line secret fills
// a line of s.
func (r *Redactor) lineSpans(out []span, s string) []span {
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
	// Percent-encoding and JSON escapes are undone in the text instead (see
	// views), whatever characters an encoder chose to escape; only form
	// encoding's "+" for a space is not.
	out = append(out, url.QueryEscape(sec))
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
