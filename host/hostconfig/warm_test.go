package hostconfig_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/hostconfig"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// Warm's errors point at the file: a mistyped plugin name at its line, an
// undeclared setting at the setting's line.
func TestLocatePlacesWarmErrorsInTheFile(t *testing.T) {
	yaml := "plugin_dir: " + t.TempDir() + `
providers:
  extra:
    plugin: symphony
    settings:
      public_key_name: a
      colour: blue
  typo:
    plugin: symphonyy
`
	cfg, err := hostconfig.Parse(strings.NewReader(yaml), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := cfg.NewRegistry(host.WithLogger(discardLogger()), host.WithBuiltin("symphony", testbin.Path("symphony")))
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = cfg.Locate(reg.Warm(ctx))
	lines := strings.Split(fmtErr(err), "\n")
	if len(lines) != 2 ||
		!strings.Contains(lines[0], `provider "extra"`) || !strings.Contains(lines[0], `setting "colour": unknown setting`) || !strings.HasSuffix(lines[0], "(t.yaml:7)") ||
		!strings.HasPrefix(lines[1], `tokenplug: config t.yaml:9: providers.typo.plugin: plugin "symphonyy" not found`) {
		t.Errorf("located Warm error:\n%s", fmtErr(err))
	}
	var ce *host.ConfigError
	if !errors.As(err, &ce) || ce.Provider != "typo" {
		t.Errorf("the located error lost its cause: %#v", err)
	}
}

func TestWarmTrueStartsEveryProviderOnRegister(t *testing.T) {
	emu := emulator.NewIAM()
	emu.AddAPIKey("k-warm")
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		emu.ServeHTTP(w, r)
	}))
	defer srv.Close()
	yaml := "plugin_dir: " + filepath.Dir(testbin.Path("iam")) + `
warm: true
providers:
  watson:
    plugin: iam
    settings: {apikey: k-warm, token_url: "` + srv.URL + `/identity/token"}
`
	cfg, err := hostconfig.Parse(strings.NewReader(yaml), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Warm {
		t.Fatal("warm: true not read")
	}
	reg := newRegistry(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for requests.Load() == 0 { // no Token call yet: only the warm-up fetches
		select {
		case <-ctx.Done():
			t.Fatal("warm: true fetched no token")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if _, err := reg.Token(ctx, "watson"); err != nil || requests.Load() != 1 {
		t.Errorf("Token = %v after %d requests; want the warmed token", err, requests.Load())
	}
}

func TestParseReportsEveryProblemEachAtItsLine(t *testing.T) {
	yaml := `providers:
  a:
    plugin: iam
    sha256: abc
    hosts: [ok.test, "*.com"]
  b:
    hosts: [b.test]
cache:
  redis:
    encryption_key: c2hvcnQ=
`
	_, err := hostconfig.Parse(strings.NewReader(yaml), "t.yaml")
	want := []string{
		"tokenplug: config t.yaml:4: providers.a.sha256: not a hex SHA-256 digest (64 hex digits)",
		`tokenplug: config t.yaml:5: providers.a.hosts[1]: host pattern "*.com": a wildcard cannot cover a whole top-level domain`,
		"tokenplug: config t.yaml:6: providers.b.plugin: required",
		"tokenplug: config t.yaml:9: cache.redis.url: required (redis://host:port/db or rediss://...)",
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("Parse =\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
}
