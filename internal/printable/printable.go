// Package printable makes text that came from outside (an upstream's
// error body, a plugin's error or log line) safe to show on a terminal or
// write to a log: control characters are escaped, so an upstream cannot
// set the terminal's title, erase lines, or write the clipboard (OSC 52)
// of the user who reads its message, nor forge a log line.
package printable

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// String returns s with every C0 control character but tab (so newlines
// and ESC too, which starts every terminal escape sequence), DEL, every
// C1 control (U+0080..U+009F: 0x9b is CSI to some terminals) and every
// byte that is not UTF-8 written as a Go escape (\x1b, \u009b, \xff).
// Text with none is returned as it is.
func String(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for s = s[i:]; s != ""; {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case unsafe(r) && r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

// firstUnsafe returns the index of the first byte of s that String
// escapes, or -1.
func firstUnsafe(s string) int {
	for i, r := range s {
		if unsafe(r) || r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			return i
		}
	}
	return -1
}

func unsafe(r rune) bool {
	return r < 0x20 && r != '\t' || r == 0x7f || 0x80 <= r && r < 0xa0
}
