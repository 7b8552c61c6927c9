package hostconfig

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// keyLines maps the path of every key and sequence item in the YAML
// document (plugin_dir, providers.watson.hosts[0], ...) to its line.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return lines
	}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := join(path, n.Content[i].Value)
				lines[p] = n.Content[i].Line
				walk(n.Content[i+1], p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				lines[p] = c.Line
				walk(c, p)
			}
		}
	}
	walk(&doc, "")
	return lines
}

// maxMappingKeys bounds the keys of one mapping (providers, settings):
// yaml.v3 compares every pair of keys, so 1 MiB of distinct keys took 40 s.
const maxMappingKeys = 1000

// checkKeys returns an error for the first mapping with more than
// maxMappingKeys keys or a repeated key, or nil. yaml.v3 rejects repeats
// too, but reports every repeated pair: n copies of a key cost n²/2
// messages (a 36 KB file took 8 s and 3 GB). This check is linear.
func checkKeys(name string, data []byte) error {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return nil // the decoder reports the syntax error
	}
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
	walk(&doc, "")
	return err
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// pathAt returns the path of the outermost key or item on line, or "". In
// block style a line holds one key, so this is the key the error is about.
func pathAt(lines map[string]int, line int) string {
	best := ""
	for p, l := range lines {
		if l == line && (best == "" || len(p) < len(best)) {
			best = p
		}
	}
	return best
}

// knownKeys lists each raw type's keys, for "unknown key" errors.
var knownKeys = func() map[string]string {
	m := map[string]string{}
	for _, t := range []reflect.Type{
		reflect.TypeFor[rawConfig](), reflect.TypeFor[rawProvider](),
		reflect.TypeFor[rawCache](), reflect.TypeFor[rawRedis](),
	} {
		var keys []string
		for f := range t.Fields() {
			keys = append(keys, f.Tag.Get("yaml"))
		}
		m[t.String()] = strings.Join(keys, ", ")
	}
	return m
}()

var (
	typeErrLine  = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownField = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	syntaxLine   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// yamlError rewrites a yaml.v3 error as one line naming the file, the line
// and, where it can, the key.
func yamlError(name string, data []byte, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) || len(te.Errors) == 0 {
		msg := strings.Join(strings.Fields(err.Error()), " ")
		if m := syntaxLine.FindStringSubmatch(msg); m != nil {
			return fmt.Errorf("tokenplug: config %s:%s: %s", name, m[1], m[2])
		}
		return fmt.Errorf("tokenplug: config %s: %s", name, strings.TrimPrefix(msg, "yaml: "))
	}
	msg := te.Errors[0]
	more := ""
	if n := len(te.Errors) - 1; n > 0 {
		more = fmt.Sprintf(" (and %d more)", n)
	}
	m := typeErrLine.FindStringSubmatch(msg)
	if m == nil {
		return fmt.Errorf("tokenplug: config %s: %s%s", name, msg, more)
	}
	line, _ := strconv.Atoi(m[1])
	msg = m[2]
	path := pathAt(keyLines(data), line)
	if u := unknownField.FindStringSubmatch(msg); u != nil {
		msg = fmt.Sprintf("unknown key %q (known keys: %s)", u[1], knownKeys[u[2]])
		path = strings.TrimSuffix(strings.TrimSuffix(path, u[1]), ".") // name the parent
	}
	if path != "" {
		msg = path + ": " + msg
	}
	return fmt.Errorf("tokenplug: config %s:%d: %s%s", name, line, msg, more)
}

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expandEnv replaces ${VAR} and ${VAR:-default} in s with lookup's values,
// and $$ with $. Values are inserted as they are: never expanded again.
// Errors name the variable, never a value.
func expandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
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
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += end + 1
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), nil
}

// lookupVar resolves the inside of ${...}: NAME or NAME:-default.
func lookupVar(expr string, lookup func(string) (string, bool)) (string, error) {
	name, def, hasDef := strings.Cut(expr, ":-")
	if !varName.MatchString(name) {
		return "", fmt.Errorf("${%s}: not a variable name (letters, digits and _)", name)
	}
	v, ok := lookup(name)
	switch {
	case v != "":
		return v, nil
	case hasDef:
		return def, nil
	case !ok:
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	return "", nil
}
