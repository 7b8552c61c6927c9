package exec

import (
	"errors"
	"strings"
)

// splitWords splits a command line into words as a POSIX shell does
// (POSIX.1-2017 XCU §2.2 Quoting, §2.6.5 Field Splitting): blanks separate
// words; a backslash outside quotes keeps the next character literally
// (a backslash-newline is removed); single quotes keep everything up to
// the next single quote literally; inside double quotes a backslash keeps
// only $, `, ", \ and newline literally. Nothing is expanded: $VAR, `cmd`,
// globs, ~ and redirections stay as written, because no shell runs the
// result. An unbalanced quote or a trailing backslash is an error.
func splitWords(line string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // a word has begun (even an empty one, as '')
	)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case c == '\\':
			if i+1 == len(line) {
				return nil, errors.New("ends with a backslash")
			}
			i++
			if line[i] != '\n' {
				cur.WriteByte(line[i])
				in = true
			}
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("has an unbalanced single quote")
			}
			cur.WriteString(line[i+1 : i+1+end])
			i += 1 + end
			in = true
		case c == '"':
			n, err := doubleQuoted(line[i+1:], &cur)
			if err != nil {
				return nil, err
			}
			i += n // to the closing quote
			in = true
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// doubleQuoted copies the inside of a double-quoted string from s (which
// starts after the opening quote) to w, and returns how many bytes it
// read, the closing quote included.
func doubleQuoted(s string, w *strings.Builder) (int, error) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0:
			i++
			if s[i] != '\n' {
				w.WriteByte(s[i])
			}
		default:
			w.WriteByte(c)
		}
	}
	return 0, errors.New("has an unbalanced double quote")
}
