package redact

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// An unescaper undoes one kind of escaping: unit appends to b what the
// escape at the start of s (len(s) > 0) stands for and returns how many
// bytes of s it took, 0 if s starts with no escape; esc is the byte every
// escape starts with.
type unescaper struct {
	esc  byte
	unit func(b []byte, s string) ([]byte, int)
}

// unescapers are the escapings undone in text before secrets are sought in
// it: JSON string escapes as any encoder writes them (`\/` from PHP,
// `\u003d` and `\u0027` from Gson, `\u00e4` from Python's ensure_ascii,
// hex digits in either case) and percent-encoding in either case (`%2f`,
// `%2F`). Each is undone on its own: an encoder applies one of them, and
// undoing both at once would turn a secret's literal "%41" into "A".
var unescapers = []unescaper{{'\\', jsonEscape}, {'%', percentEscape}}

// view returns s with u's escapes undone, or ok false if s holds none.
func (u unescaper) view(s string) (v string, ok bool) {
	i := strings.IndexByte(s, u.esc)
	if i < 0 {
		return "", false
	}
	b := make([]byte, 0, len(s))
	for i >= 0 {
		b = append(b, s[:i]...)
		s = s[i:]
		var n int
		if b, n = u.unit(b, s); n == 0 {
			b, n = append(b, s[0]), 1
		} else {
			ok = true
		}
		s = s[n:]
		i = strings.IndexByte(s, u.esc)
	}
	return string(append(b, s...)), ok
}

// source returns the span of s whose unescaping is v[from:to] (v is
// u.view(s)): every escape that gave a byte of it, whole.
func (u unescaper) source(s string, from, to int) span {
	sp, at := span{}, 0 // at: the position in v of what s[i:] gives
	var buf [utf8.UTFMax]byte
	for i := 0; i < len(s); {
		b, n := u.unit(buf[:0], s[i:])
		if n == 0 {
			b, n = buf[:1], 1
		}
		if at <= from && from < at+len(b) {
			sp.from = i
		}
		if at < to && to <= at+len(b) {
			sp.to = i + n
			break
		}
		at += len(b)
		i += n
	}
	return sp
}

// jsonEscape undoes the JSON string escape (RFC 8259 §7) at the start of
// s. A surrogate pair is one rune; a lone surrogate is U+FFFD, as
// encoding/json decodes it.
func jsonEscape(b []byte, s string) ([]byte, int) {
	if len(s) < 2 || s[0] != '\\' {
		return b, 0
	}
	if i := strings.IndexByte(`"\/bfnrt`, s[1]); i >= 0 {
		return append(b, "\"\\/\b\f\n\r\t"[i]), 2
	}
	r, ok := hex4(s)
	if !ok {
		return b, 0
	}
	if !utf16.IsSurrogate(r) {
		return utf8.AppendRune(b, r), 6
	}
	if lo, ok := hex4(s[6:]); ok {
		if pair := utf16.DecodeRune(r, lo); pair != utf8.RuneError {
			return utf8.AppendRune(b, pair), 12
		}
	}
	return utf8.AppendRune(b, utf8.RuneError), 6
}

// hex4 decodes a `\uXXXX` escape at the start of s.
func hex4(s string) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[2:6]) {
		d, ok := unhex(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// percentEscape undoes the percent-encoding (RFC 3986 §2.1) at the start
// of s.
func percentEscape(b []byte, s string) ([]byte, int) {
	if len(s) < 3 || s[0] != '%' {
		return b, 0
	}
	hi, ok1 := unhex(s[1])
	lo, ok2 := unhex(s[2])
	if !ok1 || !ok2 {
		return b, 0
	}
	return append(b, hi<<4|lo), 3
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
