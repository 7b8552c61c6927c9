// Package pathname tells a file path from a secret pasted where a path
// belongs (a PEM key or a token in private_key_file, often through
// ${VAR}), so that an error about the file quotes the path but never the
// secret.
package pathname

import "strings"

// Limits of Linux paths: no real file's path or name is longer.
const (
	maxPath = 4096 // PATH_MAX
	maxName = 255  // NAME_MAX, of one component
)

// minBlob is the length from which a name made only of base64 characters,
// letters and digits mixed, is taken for a key or token: 32 bytes is a
// 192-bit secret in base64, or a 128-bit one in hex.
const minBlob = 32

// Problem returns why v cannot be a file path, or "" if it can: it holds a
// newline or another control character, is longer than PATH_MAX, has a
// name longer than NAME_MAX, or holds a PEM header. The reason never
// quotes v.
func Problem(v string) string {
	switch {
	case len(v) > maxPath:
		return "longer than 4096 bytes"
	case strings.Contains(v, "-----BEGIN") || strings.Contains(v, "PRIVATE KEY"):
		return "it holds a PEM key"
	case strings.ContainsFunc(v, isControl):
		return "it holds a newline or a control character"
	}
	for name := range strings.SplitSeq(v, "/") {
		if len(name) > maxName {
			return "a name in it is longer than 255 bytes"
		}
	}
	return ""
}

// Show returns v for an error message about the file it names, or, when v
// cannot be a path or a name in it looks like a key or token (see
// Problem, and minBlob), a phrase that quotes no part of it.
func Show(v string) string {
	if why := Problem(v); why != "" {
		return "(the path is not shown: " + why + ")"
	}
	for name := range strings.SplitSeq(v, "/") {
		if isBlob(name) {
			return "(the path is not shown: it looks like a key or token)"
		}
	}
	return v
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }

// isBlob reports whether name looks like base64 or hex key material:
// long, only base64 and base64url characters, and letters and digits
// mixed through it as in random text (a random base64 string of 32 bytes
// changes between letter and digit about 8 times, hex about 15), unlike a
// name such as "TestCache1368027737" or "service-account-2024".
func isBlob(name string) bool {
	if len(name) < minBlob || strings.ContainsFunc(name, func(r rune) bool { return !isBase64(r) }) {
		return false
	}
	changes := 0
	for i := 1; i < len(name); i++ {
		if isDigit(name[i]) != isDigit(name[i-1]) {
			changes++
		}
	}
	return changes >= 3 && changes*8 >= len(name)
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isBase64(r rune) bool {
	return isLetter(r) || r >= '0' && r <= '9' || strings.ContainsRune("+=_-", r)
}

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }
