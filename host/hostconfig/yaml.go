package hostconfig

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxMappingKeys bounds the keys of one mapping (providers, settings):
// yaml.v3 compares every pair of keys, so 1 MiB of distinct keys took 40 s.
const maxMappingKeys = 1000

// checkKeys returns an error for the first mapping with more than
// maxMappingKeys keys or a repeated key, or nil. yaml.v3 rejects repeats
// too, but reports every repeated pair: n copies of a key cost n²/2
// messages (a 36 KB file took 8 s and 3 GB). This check is linear.
func checkKeys(name string, doc *yaml.Node) error {
	type key struct {
		kind  yaml.Kind
		value string
	}
	var err error
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		var seen map[key]int // key -> line, in a mapping
		if n.Kind == yaml.MappingNode {
			if len(n.Content)/2 > maxMappingKeys {
				err = fmt.Errorf("tokenplug: config %s:%d: %s: more than %d keys", name, n.Line, cmp.Or(path, "document"), maxMappingKeys)
				return
			}
			seen = make(map[key]int, len(n.Content)/2)
		}
		for i, c := range n.Content {
			if err != nil {
				return
			}
			if n.Kind == yaml.MappingNode && i%2 == 0 {
				k := key{c.Kind, c.Value}
				if line, dup := seen[k]; dup {
					err = fmt.Errorf("tokenplug: config %s:%d: %s: mapping key %q already defined at line %d", name, c.Line, join(path, c.Value), c.Value, line)
					return
				}
				seen[k] = c.Line
				continue
			}
			p := path
			switch {
			case n.Kind == yaml.MappingNode:
				p = join(path, n.Content[i-1].Value)
			case n.Kind == yaml.SequenceNode:
				p = fmt.Sprintf("%s[%d]", path, i)
			}
			walk(c, p)
		}
	}
	walk(doc, "")
	return err
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError rewrites a YAML syntax error in data as one line naming the
// file and the line of the problem. yaml.v3 gives its position only in the
// message's text, and for a parser error it gives the line where the
// enclosing block starts (a bad indent on line 4 is "line 1"): the line is
// then found again as the first line at which data, cut there, fails the
// same way.
func syntaxError(name string, data []byte, err error) error {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	m := syntaxLine.FindStringSubmatch(msg)
	if m == nil {
		return fmt.Errorf("tokenplug: config %s: %s", name, strings.TrimPrefix(msg, "yaml: "))
	}
	line, _ := strconv.Atoi(m[1])
	return fmt.Errorf("tokenplug: config %s:%d: %s", name, problemLine(data, line, m[2]), m[2])
}

// problemLine returns the first line n >= from such that data's first n
// lines fail to parse with message msg, by binary search; from if none.
func problemLine(data []byte, from int, msg string) int {
	ends := lineEnds(data)
	fails := func(n int) bool {
		var doc yaml.Node
		err := yaml.Unmarshal(data[:ends[n-1]], &doc)
		m := syntaxLine.FindStringSubmatch(strings.Join(strings.Fields(fmt.Sprint(err)), " "))
		return m != nil && m[2] == msg
	}
	lo, hi := from, len(ends)
	if lo < 1 || lo > hi || !fails(hi) {
		return from
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// lineEnds returns the offset just past each line of data (its newline).
func lineEnds(data []byte) []int {
	var ends []int
	for i, b := range data {
		if b == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		ends = append(ends, len(data))
	}
	return ends
}

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expandEnv replaces ${VAR} and ${VAR:-default} in s with lookup's values,
// and $$ with $. Values are inserted as they are: never expanded again.
// Errors name the variables, never a value; every unset variable of s is
// named, in order, in one unsetError.
func expandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	var unset unsetError
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$$"):
			b.WriteByte('$')
			i += 2
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", errors.New("unterminated ${ (write ${VAR} or ${VAR:-default}, or $$ for a literal $)")
			}
			v, err := lookupVar(s[i+2:i+end], lookup)
			var ue unsetError
			switch {
			case errors.As(err, &ue):
				unset = append(unset, ue...)
			case err != nil:
				return "", err
			}
			b.WriteString(v)
			i += end + 1
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	if len(unset) > 0 {
		return "", unset
	}
	return b.String(), nil
}

// unsetError names the environment variables a value uses that are not
// set, in the order the value uses them.
type unsetError []string

func (e unsetError) Error() string {
	if len(e) == 1 {
		return "environment variable " + e[0] + " is not set"
	}
	return "environment variables " + strings.Join(e, ", ") + " are not set"
}

// lookupVar resolves the inside of ${...}: NAME or NAME:-default.
func lookupVar(expr string, lookup func(string) (string, bool)) (string, error) {
	name, def, hasDef := strings.Cut(expr, ":-")
	if !varName.MatchString(name) {
		// The text is not quoted: a key pasted inside ${…} by mistake
		// would otherwise end up in the error, and in the logs.
		return "", errors.New("${…} does not hold a variable name (letters, digits and _; its text is not shown)")
	}
	v, ok := lookup(name)
	switch {
	case v != "":
		return v, nil
	case hasDef:
		return def, nil
	case !ok:
		return "", unsetError{name}
	}
	return "", nil
}
