package hostconfig_test

import (
	"bytes"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tokenplug/tokenplug/host/hostconfig"
	"github.com/tokenplug/tokenplug/hostmatch"
)

// fuzzSecret is the value of an environment variable the fuzzed files may
// reference; errors about settings must never contain it.
const fuzzSecret = "fz-SECRET-value-7731"

// maxFuzzConfig bounds a fuzzed file: the loader's own limit is 1 MiB, and
// bigger inputs only slow the fuzzer down.
const maxFuzzConfig = 64 << 10

// FuzzParseConfig feeds arbitrary bytes to the config loader. It must not
// panic; a rejection is an error naming the file, on one line per cause;
// an accepted file holds only valid names and host patterns, and formats
// back to YAML that loads to the same configuration.
func FuzzParseConfig(f *testing.F) {
	f.Setenv("TP_FUZZ_SECRET", fuzzSecret)
	f.Setenv("TP_FUZZ_EMPTY", "")
	f.Setenv("TP_FUZZ_YAML", "x\nplugin: evil\n  - [")
	f.Setenv("TP_FUZZ_DOLLAR", "$${TP_FUZZ_SECRET}")
	for _, s := range []string{
		"",
		"plugin_dir: ./bin\n",
		"providers:\n  watson:\n    plugin: iam\n    sha256: \"\"\n    hosts: [\"*.watson.cloud.ibm.com\", \"127.0.0.1:8080\", \"[::1]:9\"]\n    settings:\n      apikey: ${TP_FUZZ_SECRET}\n      url: https://${TP_FUZZ_UNSET:-iam.test}/token\n",
		"providers:\n  p:\n    plugin: iam\n    settings:\n      a: ${TP_FUZZ_EMPTY:-dflt}\n      b: $${NOT_EXPANDED} and $5\n      c: ${TP_FUZZ_YAML}\n      d: ${TP_FUZZ_DOLLAR}\n",
		"providers:\n  p:\n    plugin: iam\n    settings:\n      apikey: ${TP_FUZZ_UNSET}\n",
		"providers:\n  p:\n    plugin: iam\n    setings: {}\n",
		"providers:\n  p:\n    plugin: [iam]\n",
		"providers:\n  p:\n    plugin: iam\n    hosts: [a.test\n",
		"providers:\n  p:\n    plugin: iam\n    hosts: [\"*.com\", \"https://a.test/\"]\n",
		"providers:\n  p:\n    plugin: iam\n    sha256: abc\n",
		"providers:\n  \"bad name\":\n    plugin: iam\n",
		"providers:\n  p:\n    plugin: ${TP_FUZZ_UNSET:-iam}\n    settings: {k: !!binary AAEC/w==}\n",
		"cache:\n  redis:\n    url: redis://127.0.0.1:6379/0\n    encryption_key: ${TP_FUZZ_SECRET}\n    key_prefix: app\n",
		"cache: {}\n",
		"a: &a [*a, *a]\nproviders: *a\n",
		"---\nproviders: {}\n---\nplugin_dir: x\n",
		"providers:\n  p: &p {plugin: iam}\n  q: *p\n  <<: {r: {plugin: iam}}\n",
		"providers:\n  p: {plugin: iam}\n  p: {plugin: iam}\n  p: {plugin: iam}\n",
		"providers:\n  p: {plugin: iam, hosts: [a.test], plugin: x}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzConfig {
			t.Skip()
		}
		cfg, err := hostconfig.Parse(bytes.NewReader(data), "fuzz.yaml")
		if err != nil {
			checkConfigError(t, data, err)
			return
		}
		checkConfig(t, cfg)
		checkConfigRoundTrip(t, cfg)
	})
}

func checkConfigError(t *testing.T, data []byte, err error) {
	t.Helper()
	for msg := range strings.SplitSeq(err.Error(), "\n") { // one line per cause
		if !strings.HasPrefix(msg, "tokenplug: config fuzz.yaml") {
			t.Fatalf("error does not name the file: %q", msg)
		}
		if strings.TrimSpace(strings.TrimPrefix(msg, "tokenplug: config fuzz.yaml")) == "" {
			t.Fatalf("error says nothing: %q", msg)
		}
		// A variable's value may be quoted back only in an error about a
		// plugin name, a host pattern, a digest or plugin_dir (names, not
		// secrets); never about a setting or the cache.
		if strings.Contains(msg, fuzzSecret) && !bytes.Contains(data, []byte(fuzzSecret)) {
			switch path := errorPath(msg); {
			case path == "plugin_dir", strings.HasSuffix(path, ".plugin"), strings.Contains(path, ".hosts["), strings.HasSuffix(path, ".sha256"):
			default:
				t.Fatalf("error about %q holds the secret: %q", path, msg)
			}
		}
	}
}

// errorPath returns the config path an error is about:
// "tokenplug: config FILE:LINE: PATH: message".
func errorPath(msg string) string {
	parts := strings.SplitN(msg, ": ", 4)
	if len(parts) < 4 {
		return ""
	}
	return parts[2]
}

func checkConfig(t *testing.T, cfg *hostconfig.Config) {
	t.Helper()
	for _, name := range cfg.Names() {
		p := cfg.Providers[name]
		if name == "" || p.Plugin == "" {
			t.Fatalf("accepted provider %q with plugin %q", name, p.Plugin)
		}
		if err := hostmatch.Check(p.Hosts...); err != nil {
			t.Fatalf("accepted invalid hosts %q: %v", p.Hosts, err)
		}
	}
	if cfg.Cache != nil && (cfg.Cache.Redis == nil || cfg.Cache.Redis.URL == "") {
		t.Fatalf("accepted a cache section without cache.redis.url: %+v", cfg.Cache)
	}
}

// TestParseConfigRepeatedAndManyKeys: yaml.v3 reports every pair of repeated
// keys, so n copies of a key cost n²/2 error messages; 2000 copies
// allocated about 300 MB, and a 1 MiB file would exhaust memory. The
// loader now reports the first repeat only.
func TestParseConfigRepeatedAndManyKeys(t *testing.T) {
	_, err := hostconfig.Parse(strings.NewReader("providers:\n  p: {plugin: iam}\n  q: {plugin: iam}\n  p: {plugin: iam}\n  p: {plugin: iam}\n"), "t.yaml")
	want := `tokenplug: config t.yaml:4: providers.p: mapping key "p" already defined at line 2`
	if err == nil || err.Error() != want {
		t.Fatalf("ParseConfig = %v, want %s", err, want)
	}
	_, err = hostconfig.Parse(strings.NewReader("plugin_dir: a\nproviders:\n  p:\n    settings: {a: 1, b: 2, a: 3}\n"), "t.yaml")
	want = `tokenplug: config t.yaml:4: providers.p.settings.a: mapping key "a" already defined at line 4`
	if err == nil || err.Error() != want {
		t.Fatalf("ParseConfig = %v, want %s", err, want)
	}
	big := "providers:\n" + strings.Repeat("  p: {plugin: iam}\n", 2000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = hostconfig.Parse(strings.NewReader(big), "t.yaml")
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("ParseConfig accepted repeated keys")
	}
	if mb := (after.TotalAlloc - before.TotalAlloc) >> 20; mb > 50 {
		t.Fatalf("ParseConfig allocated %d MB for a %d-byte file of repeated keys", mb, len(big))
	}
	// Distinct keys: yaml.v3 still compares every pair (1 MiB of them took
	// 40 s), so a mapping holds at most 1000.
	var b strings.Builder
	b.WriteString("providers:\n  p:\n    plugin: iam\n    settings:\n")
	for i := range 1001 {
		fmt.Fprintf(&b, "      k%d: v\n", i)
	}
	_, err = hostconfig.Parse(strings.NewReader(b.String()), "t.yaml")
	want = "tokenplug: config t.yaml:5: providers.p.settings: more than 1000 keys"
	if err == nil || err.Error() != want {
		t.Fatalf("ParseConfig = %v, want %s", err, want)
	}
}

// fuzzFile is a Config as YAML, with $ written $$ so values load verbatim.
type fuzzFile struct {
	PluginDir string                       `yaml:"plugin_dir,omitempty"`
	Providers map[string]fuzzProvider      `yaml:"providers,omitempty"`
	Cache     map[string]map[string]string `yaml:"cache,omitempty"`
}

type fuzzProvider struct {
	Plugin   string            `yaml:"plugin"`
	SHA256   string            `yaml:"sha256,omitempty"`
	Hosts    []string          `yaml:"hosts,omitempty"`
	Settings map[string]string `yaml:"settings,omitempty"`
}

func escapeDollar(s string) string { return strings.ReplaceAll(s, "$", "$$") }

// checkConfigRoundTrip formats cfg back to YAML and loads it again.
func checkConfigRoundTrip(t *testing.T, cfg *hostconfig.Config) {
	t.Helper()
	file := fuzzFile{PluginDir: escapeDollar(cfg.PluginDir), Providers: map[string]fuzzProvider{}}
	for name, p := range cfg.Providers {
		fp := fuzzProvider{Plugin: escapeDollar(p.Plugin), SHA256: escapeDollar(p.SHA256)}
		for _, h := range p.Hosts {
			fp.Hosts = append(fp.Hosts, escapeDollar(h))
		}
		if p.Settings != nil {
			fp.Settings = map[string]string{}
		}
		for k, v := range p.Settings {
			fp.Settings[k] = escapeDollar(v)
		}
		file.Providers[name] = fp
	}
	if r := cfg.Cache; r != nil {
		file.Cache = map[string]map[string]string{"redis": {
			"url": escapeDollar(r.Redis.URL), "encryption_key": escapeDollar(r.Redis.EncryptionKey), "key_prefix": escapeDollar(r.Redis.KeyPrefix),
		}}
	}
	out, err := yaml.Marshal(file)
	if err != nil {
		t.Fatalf("format: %v", err)
	}
	again, err := hostconfig.Parse(bytes.NewReader(out), "fuzz.yaml")
	if err != nil {
		t.Fatalf("formatted config does not load: %v\n%s", err, out)
	}
	if again.PluginDir != cfg.PluginDir || !reflect.DeepEqual(again.Providers, cfg.Providers) || !reflect.DeepEqual(again.Cache, cfg.Cache) {
		t.Fatalf("round trip changed the config:\nfirst  %+v %+v\nsecond %+v %+v\nyaml:\n%s", cfg.Providers, cfg.Cache, again.Providers, again.Cache, out)
	}
}
