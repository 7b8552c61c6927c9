package hostconfig

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/pathname"
)

// decoder turns the file's YAML nodes into a Config. It knows the file's
// keys, records the line of every key and list item it reads (so that an
// error found later, by Register or Warm, points at its line), expands
// ${VAR} in values, and collects every problem, each at its line.
type decoder struct {
	cfg     *Config
	errs    []error
	budget  int  // values left to read: aliases cannot make a file's values grow without bound
	bytes   int  // bytes of values left to read, aliases and ${VAR} expanded: see maxValueBytes
	partial bool // ParsePartial: a provider's missing variables and files leave it out
	soft    int  // errors that partial may confine to the provider being read
}

// maxValues bounds the values read from one file, aliases expanded. A
// config with a hundred providers has a few thousand; a file whose aliases
// expand past this is an attack, not a configuration.
const maxValues = 100_000

// maxValueBytes bounds the bytes of the values read from one file, each
// counted every time it is read (through an alias too) and again after
// ${VAR} expansion: a small file whose aliases name one large !!binary or
// ${VAR} value thousands of times would otherwise copy it on every read (a
// 66 KB file allocated 1 GB). The file is at most 1 MiB; the rest leaves
// room for variables holding keys and certificates.
const maxValueBytes = 4 << 20

// maxAliasDepth bounds alias and merge chains, which may be cyclic.
const maxAliasDepth = 32

// field is a key a mapping may hold, and how to read its value.
type field struct {
	key  string
	read func(n *yaml.Node, path string)
}

func (d *decoder) document(doc *yaml.Node) {
	root := doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if doc.Kind == 0 || doc.Kind == yaml.DocumentNode && len(doc.Content) == 0 {
		return // an empty file
	}
	d.mapping(root, "", []field{
		{"plugin_dir", func(n *yaml.Node, p string) { d.cfg.PluginDir = d.str(n, p) }},
		{"warm", func(n *yaml.Node, p string) { d.cfg.Warm = d.boolean(n, p) }},
		{"providers", d.providers},
		{"cache", d.cache},
	})
}

func (d *decoder) providers(n *yaml.Node, path string) {
	d.each(n, path, func(name string, v *yaml.Node, p string) { d.provider(name, v, p) })
}

func (d *decoder) provider(name string, n *yaml.Node, path string) {
	var p host.ProviderConfig
	start, soft := len(d.errs), d.soft
	d.mapping(n, path, []field{
		{"plugin", func(n *yaml.Node, path string) { p.Plugin = d.str(n, path) }},
		{"path", func(n *yaml.Node, path string) { p.Path = d.filePath(d.str(n, path), path) }},
		{"sha256", func(n *yaml.Node, path string) { p.SHA256 = d.str(n, path) }},
		{"hosts", func(n *yaml.Node, path string) { p.Hosts = d.hosts(n, path) }},
		{"allow_insecure", func(n *yaml.Node, path string) { p.AllowInsecure = d.boolean(n, path) }},
		{"isolate", func(n *yaml.Node, path string) { p.Isolate = d.boolean(n, path) }},
		{"settings", func(n *yaml.Node, path string) {
			d.each(n, path, func(k string, v *yaml.Node, path string) {
				if p.Settings == nil {
					p.Settings = map[string]string{}
				}
				p.Settings[k] = d.str(v, path)
				if strings.HasSuffix(k, FileSuffix) || isDirSetting(k) {
					p.Settings[k] = d.filePath(p.Settings[k], path)
				}
			})
		}},
	})
	d.execSettings(&p, path)
	if errs := d.errs[start:]; d.partial && len(errs) > 0 && len(errs) == d.soft-soft {
		// Only variables and files this provider names are missing: leave
		// it out, the others still work.
		d.cfg.Unavailable[name] = errors.Join(errs...)
		d.errs = d.errs[:start]
		return
	}
	d.cfg.Providers[name] = p
}

// FileSuffix ends the key of every setting that names a file (such as
// symphony's private_key_file): a relative path in such a setting, like
// plugin_dir and path, is resolved against the configuration file's
// directory, and a file that does not exist is an error naming the path
// tried. Plugin authors: name a setting that holds a file's path this way.
// A setting that names a directory (dir, or a key ending in _dir, such as
// the exec provider's dir) is resolved the same way.
const FileSuffix = "_file"

// filePath resolves a provider's file path v (of the value at path)
// against the file's directory and checks that it exists and that no
// other user could have written it.
func (d *decoder) filePath(v, path string) string {
	if v == "" {
		return ""
	}
	if why := pathname.Problem(v); why != "" {
		// A key pasted where its file's path belongs: name the setting,
		// never quote the value.
		d.fail(path, "not a file path: %s (the value is not shown; name the file holding it)", why)
		return ""
	}
	if !filepath.IsAbs(v) {
		v = absPath(filepath.Join(filepath.Dir(d.cfg.File), v))
	}
	fi, err := os.Stat(v)
	if err != nil {
		d.soft++
		d.fail(path, "%s: %v", pathname.Show(v), unwrapPathErr(err))
		return v
	}
	what := "file"
	if strings.HasSuffix(path, ".path") {
		what = "plugin binary"
	}
	if err := checkTrusted(what, v, fi); err != nil {
		d.errs = append(d.errs, d.cfg.errorAt(path, err, err))
	}
	return v
}

// trusted checks the cache's file v (of the value at path), if it exists,
// as filePath does; rediscache reports one that is missing.
func (d *decoder) trusted(v, path string) string {
	if v != "" && pathname.Problem(v) == "" {
		if err := statTrusted("file", v); err != nil {
			d.errs = append(d.errs, d.cfg.errorAt(path, err, err))
		}
	}
	return v
}

func (d *decoder) cache(n *yaml.Node, path string) {
	if isNull(resolve(n)) {
		return // "cache:" alone: no cache, as if left out
	}
	c := &CacheConfig{}
	d.mapping(n, path, []field{{"redis", func(n *yaml.Node, path string) {
		if isNull(resolve(n)) {
			return
		}
		r := &RedisCacheConfig{}
		d.mapping(n, path, []field{
			{"url", func(n *yaml.Node, p string) { r.URL = d.str(n, p) }},
			{"encryption_key", func(n *yaml.Node, p string) { r.EncryptionKey = d.str(n, p) }},
			{"key_prefix", func(n *yaml.Node, p string) { r.KeyPrefix = d.str(n, p) }},
			{"cluster", func(n *yaml.Node, p string) { r.Cluster = d.boolean(n, p) }},
			{"master_name", func(n *yaml.Node, p string) { r.MasterName = d.str(n, p) }},
			{"sentinel_username", func(n *yaml.Node, p string) { r.SentinelUsername = d.str(n, p) }},
			{"sentinel_password", func(n *yaml.Node, p string) { r.SentinelPassword = d.str(n, p) }},
			{"ca_file", func(n *yaml.Node, p string) { r.CAFile = d.trusted(d.str(n, p), p) }},
			{"cert_file", func(n *yaml.Node, p string) { r.CertFile = d.trusted(d.str(n, p), p) }},
			{"key_file", func(n *yaml.Node, p string) { r.KeyFile = d.trusted(d.str(n, p), p) }},
		})
		c.Redis = r
	}}})
	if c.Redis == nil {
		d.fail(path, "set cache.redis, or leave the cache section out for an in-memory cache")
	}
	d.cfg.Cache = c
}

// mapping reads n, a mapping whose keys are fields; null is an empty one.
func (d *decoder) mapping(n *yaml.Node, path string, fields []field) {
	known := make([]string, len(fields))
	for i, f := range fields {
		known[i] = f.key
	}
	d.pairs(n, path, "a mapping of "+strings.Join(known, ", "), func(k, v *yaml.Node) {
		for _, f := range fields {
			if f.key == k.Value {
				p := join(path, k.Value)
				d.cfg.lines[p] = k.Line
				f.read(v, p)
				return
			}
		}
		d.failAt(k.Line, path, "unknown key %q (known keys: %s)", k.Value, strings.Join(known, ", "))
	})
}

// each reads n, a mapping of names (providers, settings) to values.
func (d *decoder) each(n *yaml.Node, path string, read func(key string, v *yaml.Node, path string)) {
	d.pairs(n, path, "a mapping", func(k, v *yaml.Node) {
		p := join(path, k.Value)
		d.cfg.lines[p] = k.Line
		read(k.Value, v, p)
	})
}

// pairs calls f with each key and value of mapping n, its own keys first,
// then those merged in with "<<" that it lacks.
func (d *decoder) pairs(n *yaml.Node, path, want string, f func(k, v *yaml.Node)) {
	n = resolve(n)
	switch {
	case n == nil || isNull(n):
		return
	case n.Kind != yaml.MappingNode:
		d.failAt(n.Line, path, "want %s, got %s", want, kindName(n))
		return
	}
	seen := map[string]bool{}
	d.walkPairs(n, path, seen, 0, f)
}

func (d *decoder) walkPairs(n *yaml.Node, path string, seen map[string]bool, depth int, f func(k, v *yaml.Node)) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content) && d.spend(n.Content[i]); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge":
			merges = append(merges, v)
		case k.Kind != yaml.ScalarNode:
			d.failAt(k.Line, path, "a key must be a plain value, not %s", kindName(k))
		case !seen[k.Value]:
			seen[k.Value] = true
			f(k, v)
		}
	}
	for _, m := range merges {
		d.merge(m, path, seen, depth, f)
	}
}

// merge walks the mappings a "<<" key names: one, or a list of them.
func (d *decoder) merge(m *yaml.Node, path string, seen map[string]bool, depth int, f func(k, v *yaml.Node)) {
	m = resolve(m)
	srcs := []*yaml.Node{m}
	if m != nil && m.Kind == yaml.SequenceNode {
		srcs = m.Content
	}
	for _, s := range srcs {
		s = resolve(s)
		switch {
		case !d.spend(m):
			return
		case depth >= maxAliasDepth:
			d.failAt(m.Line, path, "merges (<<) nested more than %d deep", maxAliasDepth)
			return
		case s == nil || s.Kind != yaml.MappingNode:
			d.failAt(m.Line, path, "<< must name a mapping or a list of mappings")
			return
		}
		d.walkPairs(s, path, seen, depth+1, f)
	}
}

// list reads a list of strings; null is an empty one.
func (d *decoder) list(n *yaml.Node, path string) []string {
	n = resolve(n)
	switch {
	case n == nil || isNull(n):
		return nil
	case n.Kind != yaml.SequenceNode:
		d.failAt(n.Line, path, "want a list, got %s", kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		if !d.spend(item) {
			break
		}
		p := fmt.Sprintf("%s[%d]", path, i)
		d.cfg.lines[p] = item.Line
		out = append(out, d.str(item, p))
	}
	return out
}

// hosts reads a provider's hosts. An explicit empty list is an error: it
// could mean the plugin's default hosts (a surprise, when the user listed
// none) or nowhere (useless: the token could never be sent). Null, like an
// omitted key, means the defaults.
func (d *decoder) hosts(n *yaml.Node, path string) []string {
	if r := resolve(n); r != nil && r.Kind == yaml.SequenceNode && len(r.Content) == 0 {
		d.failAt(n.Line, path, "empty list: omit the key for the plugin's default hosts, or list hosts")
		return nil
	}
	return d.list(n, path)
}

// str reads a value, with its variables expanded; null is "". A number or
// a boolean is its text, as written.
func (d *decoder) str(n *yaml.Node, path string) string {
	n = resolve(n)
	switch {
	case n == nil || isNull(n):
		return ""
	case n.Kind != yaml.ScalarNode:
		d.failAt(n.Line, path, "want a string, got %s", kindName(n))
		return ""
	}
	s := n.Value
	if !d.spendBytes(n, path, len(s)) {
		return ""
	}
	if n.ShortTag() == "!!binary" {
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			d.fail(path, "!!binary value is not base64")
			return ""
		}
		s = string(b)
	}
	v, err := expandEnv(s, os.LookupEnv)
	if err != nil {
		if errors.As(err, new(unsetError)) {
			d.soft++
		}
		d.fail(path, "%v", err) // names the variable, never a value
	}
	if len(v) > len(s) && !d.spendBytes(n, path, len(v)-len(s)) {
		return ""
	}
	return v
}

// boolean reads true or false; null is false.
func (d *decoder) boolean(n *yaml.Node, path string) bool {
	n = resolve(n)
	var b bool
	switch {
	case n == nil || isNull(n):
		return false
	case n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil:
		d.failAt(n.Line, path, "want true or false, got %s", kindName(n))
	}
	return b
}

// spend takes one value from the budget, reporting once when it runs out.
// Every key, list item and merge read spends one, seen before or not, so
// no arrangement of aliases and merges reads more than maxValues.
func (d *decoder) spend(n *yaml.Node) bool {
	d.budget--
	if d.budget == -1 {
		d.failAt(n.Line, "", "more than %d values (aliases included)", maxValues)
	}
	return d.budget >= 0
}

// spendBytes takes size bytes from the byte budget before a value is
// copied, reporting once, with the value's path, when it runs out.
func (d *decoder) spendBytes(n *yaml.Node, path string, size int) bool {
	if d.bytes < 0 {
		return false
	}
	if d.bytes -= size; d.bytes < 0 {
		d.failAt(n.Line, path, "more than %d bytes of values (aliases and ${VAR} expanded)", maxValueBytes)
		return false
	}
	return true
}

// fail reports a problem with the value at path, at its key's line.
func (d *decoder) fail(path, format string, args ...any) {
	d.errs = append(d.errs, d.cfg.Errorf(path, format, args...))
}

// failAt reports a problem at line, about path ("" for the document).
func (d *decoder) failAt(line int, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	d.errs = append(d.errs, fmt.Errorf("tokenplug: config %s:%d: %s", d.cfg.File, line, msg))
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i == maxAliasDepth {
			return nil
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// kindName says what n is, for errors; never its value, which may be a
// secret.
func kindName(n *yaml.Node) string {
	switch {
	case n == nil:
		return "an alias chain too deep"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.ShortTag() == "!!str":
		return "a string"
	}
	return "a " + strings.TrimPrefix(n.ShortTag(), "!!")
}
