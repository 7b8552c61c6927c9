package hostconfig_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/hostconfig"
	"github.com/tokenplug/tokenplug/host/internal/redistest"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

func TestParseConfig(t *testing.T) {
	t.Setenv("TP_TEST_KEY", "k-123")
	t.Setenv("TP_TEST_EMPTY", "")
	t.Setenv("TP_TEST_YAML", "x\nplugin: evil\n  - [") // must stay a plain value
	tests := []struct {
		name     string
		yaml     string
		settings map[string]string // of provider "p"; nil: skip
		wantErr  string            // substring; "" means no error
	}{
		{
			name:     "variables expand inside values",
			yaml:     "providers:\n  p:\n    plugin: iam\n    settings:\n      apikey: ${TP_TEST_KEY}\n      url: https://${TP_TEST_UNSET:-iam.test}/token\n",
			settings: map[string]string{"apikey": "k-123", "url": "https://iam.test/token"},
		},
		{
			name:     "a default applies to a set but empty variable; $$ is a literal $",
			yaml:     "providers:\n  p:\n    plugin: iam\n    settings:\n      a: ${TP_TEST_EMPTY:-dflt}\n      b: $${NOT_EXPANDED} and $5\n      c: ${TP_TEST_EMPTY}\n",
			settings: map[string]string{"a": "dflt", "b": "${NOT_EXPANDED} and $5", "c": ""},
		},
		{
			name:     "a variable's value cannot inject YAML",
			yaml:     "providers:\n  p:\n    plugin: iam\n    settings:\n      a: ${TP_TEST_YAML}\n",
			settings: map[string]string{"a": "x\nplugin: evil\n  - ["},
		},
		{
			name:     "non-string scalars become strings",
			yaml:     "providers:\n  p:\n    plugin: voicegain\n    settings:\n      lifetime: 30\n      on: true\n",
			settings: map[string]string{"lifetime": "30", "on": "true"},
		},
		{
			name:    "an unset variable is named with its line",
			yaml:    "providers:\n  p:\n    plugin: iam\n    settings:\n      apikey: ${TP_TEST_UNSET}\n",
			wantErr: "tokenplug: config test.yaml:5: providers.p.settings.apikey: environment variable TP_TEST_UNSET is not set",
		},
		{
			name:    "an unknown key is named with its line and the known keys",
			yaml:    "providers:\n  p:\n    plugin: iam\n    setings: {}\n",
			wantErr: `tokenplug: config test.yaml:4: providers.p: unknown key "setings" (known keys: plugin, path, sha256, hosts, allow_insecure, isolate, settings)`,
		},
		{
			name:    "an unknown top-level key",
			yaml:    "plugins_dir: x\n",
			wantErr: `tokenplug: config test.yaml:1: unknown key "plugins_dir"`,
		},
		{
			name:    "a list where a string belongs",
			yaml:    "providers:\n  p:\n    plugin: [iam]\n",
			wantErr: "tokenplug: config test.yaml:3: providers.p.plugin: want a string, got a list",
		},
		{
			// yaml.v3 reports the line where the construct began (here,
			// 0-based), so the test does not pin the number.
			name:    "a YAML syntax error names the file, on one line",
			yaml:    "providers:\n  p:\n    plugin: iam\n    hosts: [a.test\n",
			wantErr: ": did not find expected ',' or ']'",
		},
		{
			name:    "a provider needs a plugin",
			yaml:    "providers:\n  p:\n    hosts: [a.test]\n",
			wantErr: "tokenplug: config test.yaml:2: providers.p.plugin: required",
		},
		{
			name:    "a bad host pattern",
			yaml:    "providers:\n  p:\n    plugin: iam\n    hosts: [\"https://a.test/\"]\n",
			wantErr: "tokenplug: config test.yaml:4: providers.p.hosts[0]: host pattern",
		},
		{
			name:    "a bad sha256 pin",
			yaml:    "providers:\n  p:\n    plugin: iam\n    sha256: abc\n",
			wantErr: "tokenplug: config test.yaml:4: providers.p.sha256: not a hex SHA-256 digest",
		},
		{
			name:    "a malformed variable",
			yaml:    "providers:\n  p:\n    plugin: iam\n    settings: {a: \"${OOPS\"}\n",
			wantErr: "providers.p.settings.a: unterminated ${",
		},
		{
			name:    "a key pasted inside ${} is not quoted back",
			yaml:    "providers:\n  p:\n    plugin: iam\n    settings: {apikey: \"${k-123-pasted/key+}\"}\n",
			wantErr: "providers.p.settings.apikey: ${…} does not hold a variable name",
		},
		{
			name:    "a cache without redis",
			yaml:    "cache: {}\n",
			wantErr: "tokenplug: config test.yaml:1: cache: set cache.redis",
		},
		{
			name:    "a bad cache URL is placed at its line, its password kept out",
			yaml:    "cache:\n  redis:\n    url: redis://u:${TP_TEST_KEY}@h:bad/0\n    encryption_key: " + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n",
			wantErr: "tokenplug: config test.yaml:3: cache.redis.url: not a URL",
		},
		{name: "an empty file is an empty config", yaml: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := hostconfig.Parse(strings.NewReader(tt.yaml), "test.yaml")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v; want it to contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "k-123") || strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q holds a secret or spans lines", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.settings != nil && !reflect.DeepEqual(cfg.Providers["p"].Settings, tt.settings) {
				t.Errorf("settings %q; want %q", cfg.Providers["p"].Settings, tt.settings)
			}
		})
	}
}

func TestLoadConfigResolvesPluginDirAgainstTheFilesDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokenplug.yaml")
	yaml := "plugin_dir: ./bin\ncache:\n  redis:\n    url: redis://127.0.0.1:6379/0\n    encryption_key: ${TP_TEST_CACHE_KEY:-a2V5}\n    key_prefix: app\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	// a2V5 is base64 of 3 bytes: the cache refuses it, located in the file.
	_, err := hostconfig.Load(path)
	if err == nil || !strings.HasSuffix(err.Error(), "tokenplug.yaml:5: cache.redis.encryption_key: decodes to 3 bytes, want 32 (openssl rand -base64 32)") {
		t.Errorf("Load with a bad cache key: %v", err)
	}
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	t.Setenv("TP_TEST_CACHE_KEY", key)
	cfg, err := hostconfig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "bin"); cfg.PluginDir != want {
		t.Errorf("PluginDir %q; want %q", cfg.PluginDir, want)
	}
	want := &hostconfig.RedisCacheConfig{URL: "redis://127.0.0.1:6379/0", EncryptionKey: key, KeyPrefix: "app"}
	if cfg.Cache == nil || !reflect.DeepEqual(cfg.Cache.Redis, want) {
		t.Errorf("Cache %+v; want Redis %+v", cfg.Cache, want)
	}
}

func TestConfigCacheRedisSharesTokensBetweenRegistries(t *testing.T) {
	redis := redistest.Start(t)
	idp := emulator.NewIAM()
	idp.AddAPIKey("k-shared")
	srv := httptest.NewServer(idp)
	defer srv.Close()
	t.Setenv("TP_TEST_CACHE_KEY", base64.StdEncoding.EncodeToString(make([]byte, 32)))
	yaml := "plugin_dir: " + filepath.Dir(testbin.Path("iam")) + `
providers:
  watson:
    plugin: iam
    settings: {apikey: k-shared, token_url: "` + srv.URL + `/identity/token"}
cache:
  redis:
    url: ` + redis.URL() + `
    encryption_key: ${TP_TEST_CACHE_KEY}
    key_prefix: config-test/
`
	cfg, err := hostconfig.Parse(strings.NewReader(yaml), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var toks []string
	for range 2 { // two replicas of one service
		reg, err := cfg.NewRegistry(host.WithLogger(discardLogger()))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := reg.Token(ctx, "watson")
		reg.Close()
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok.AccessToken)
	}
	if toks[0] != toks[1] || idp.Issued() != 1 {
		t.Errorf("IAM issued %d tokens to two registries sharing a cache, want 1", idp.Issued())
	}
}

func TestLoadConfigNamesAMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := hostconfig.Load(path)
	if err == nil || err.Error() != "tokenplug: config "+path+": no such file or directory" {
		t.Fatalf("error %v", err)
	}
}

func TestConfigNewRegistryRegistersEveryProvider(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, []byte(symphonySettings()["private_key"]), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TP_TEST_KEY_FILE", keyFile)
	yaml := `plugin_dir: ` + filepath.Dir(testbin.Path("symphony")) + `
providers:
  one:
    plugin: symphony
    hosts: ["*.symphony.test"]
    settings: {private_key_file: "${TP_TEST_KEY_FILE}", public_key_name: acme}
  two:
    plugin: symphony
    settings: {private_key_file: "${TP_TEST_KEY_FILE}", public_key_name: acme, lifetime: 5m}
`
	cfg, err := hostconfig.Parse(strings.NewReader(yaml), filepath.Join(dir, "tokenplug.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	reg := newRegistry(t, cfg)
	if got := reg.Names(); !reflect.DeepEqual(got, []string{"one", "two"}) {
		t.Fatalf("Names %q", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	src, _ := reg.Source("one")
	if got := src.Hosts(); !reflect.DeepEqual(got, []string{"*.symphony.test"}) {
		t.Errorf("Hosts %q", got)
	}
	tok, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || time.Until(tok.Expiry) > 30*time.Minute {
		t.Errorf("token %+v", tok)
	}
}

func TestConfigUnknownSettingIsNamedWhenThePluginStarts(t *testing.T) {
	yaml := "plugin_dir: " + filepath.Dir(testbin.Path("symphony")) + "\nproviders:\n  s:\n    plugin: symphony\n    settings: {public_key_name: a, private_key: x, colour: blue}\n"
	cfg, err := hostconfig.Parse(strings.NewReader(yaml), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	reg := newRegistry(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = reg.Token(ctx, "s")
	if err == nil || !strings.Contains(err.Error(), "colour") || !strings.Contains(err.Error(), `"s"`) {
		t.Fatalf("error %v; want it to name the provider and the setting", err)
	}
}

func ExampleParse() {
	os.Setenv("EXAMPLE_IBM_APIKEY", "not-a-real-key")
	defer os.Unsetenv("EXAMPLE_IBM_APIKEY")
	yaml := `
providers:
  watson:
    plugin: iam
    hosts: ["*.watson.cloud.ibm.com"]
    settings:
      apikey: ${EXAMPLE_IBM_APIKEY}
      token_url: ${IAM_TOKEN_URL:-https://iam.cloud.ibm.com/identity/token}
`
	cfg, err := hostconfig.Parse(strings.NewReader(yaml), "tokenplug.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	reg, err := cfg.NewRegistry() // plugins start on first use
	if err != nil {
		fmt.Println(err)
		return
	}
	defer reg.Close()
	src, _ := reg.Source("watson")
	fmt.Println(reg.Names(), src.Hosts(), cfg.Providers["watson"].Settings["token_url"])

	_, err = hostconfig.Parse(strings.NewReader("providers:\n  watson:\n    plugin: iam\n    settings:\n      apikey: ${NO_SUCH_VAR}\n"), "tokenplug.yaml")
	fmt.Println(err)
	// Output:
	// [watson] [*.watson.cloud.ibm.com] https://iam.cloud.ibm.com/identity/token
	// tokenplug: config tokenplug.yaml:5: providers.watson.settings.apikey: environment variable NO_SUCH_VAR is not set
}

func TestConfigNewRegistryLocatesARegisterError(t *testing.T) {
	cfg := &hostconfig.Config{File: "x.yaml", Providers: map[string]host.ProviderConfig{"bad name": {Plugin: "iam"}}}
	_, err := cfg.NewRegistry()
	if err == nil || err.Error() != `tokenplug: config x.yaml: providers.bad name: not a provider name: use letters, digits, '.', '_' or '-'` {
		t.Fatalf("error %v", err)
	}
}

func TestAllowInsecureIsReadFromTheConfig(t *testing.T) {
	cfg, err := hostconfig.Parse(strings.NewReader("providers:\n  a:\n    plugin: iam\n    allow_insecure: true\n  b:\n    plugin: iam\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Providers["a"].AllowInsecure || cfg.Providers["b"].AllowInsecure {
		t.Errorf("allow_insecure: a %v, b %v; want true, false", cfg.Providers["a"].AllowInsecure, cfg.Providers["b"].AllowInsecure)
	}
	_, err = hostconfig.Parse(strings.NewReader("providers:\n  a:\n    plugin: iam\n    allow_insecure: please\n"), "t.yaml")
	if err == nil || !strings.Contains(err.Error(), "t.yaml:4") {
		t.Errorf("a non-boolean allow_insecure: %v; want an error at line 4", err)
	}
}
