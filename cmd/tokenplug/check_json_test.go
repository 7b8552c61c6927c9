package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// faultDir is symphonyDir plus the fault plugin in plugin_dir and extra
// providers.
func faultDir(t *testing.T, extra string) string {
	t.Helper()
	dir := symphonyDir(t, `"127.0.0.1"`, extra)
	installPlugin(t, dir, "fault")
	writeFile(t, dir, "tokenplug.yaml", "plugin_dir: bin\n"+readFile(t, dir, "tokenplug.yaml"))
	return dir
}

// installPlugin copies the test binary name into dir/bin as
// tokenplug-<name>, for a configuration's plugin_dir: bin.
func installPlugin(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(testbin.Path(name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "tokenplug-"+name), data, 0o755); err != nil {
		t.Fatal(err)
	}
}

// noSecretShown fails the test if r's output holds a piece of secret or
// of its base64, base64url or hex encoding, which the fault plugin's
// leakencoded behaviour prints on stdout, stderr and in its log, and
// returns in its error; and if it holds no redaction mark, which would
// mean the echo never reached the output and the check proves nothing.
func noSecretShown(t *testing.T, r result, secret string) {
	t.Helper()
	b := []byte(secret)
	for _, form := range []string{secret, base64.StdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b), hex.EncodeToString(b)} {
		if plugintest.ContainsPart(r.stdout+r.stderr, form) {
			t.Errorf("the output holds a piece of a secret setting's value or of an encoding of it (%q):\n%s\n%s", form, r.stdout, r.stderr)
		}
	}
	if !strings.Contains(r.stdout+r.stderr, "[REDACTED]") {
		t.Errorf("the plugin's echo never reached the output, so the check above proves nothing:\n%s\n%s", r.stdout, r.stderr)
	}
}

// Every command that runs a provider keeps a plugin's echo of its secret,
// in every encoding, out of what it prints.
func TestCommandsShowNoPieceOfASecretAPluginEchoes(t *testing.T) {
	rec := newRecorder(t)
	dir := faultDir(t, `  broken:
    plugin: fault
    hosts: ["127.0.0.1"]
    settings: {behavior: leakencoded, password: SECRET-VALUE}
`)
	for _, args := range [][]string{
		{"check"},
		{"token", "broken", "--no-cache"},
		{"get", "--provider", "broken", rec.URL + "/v1/x"},
	} {
		t.Run(args[0], func(t *testing.T) {
			r := tp(t, dir, nil, args...)
			if r.code != 1 {
				t.Errorf("exit status %d, want 1 (the provider fails)", r.code)
			}
			noSecretShown(t, r, "SECRET-VALUE")
		})
	}
	for _, req := range rec.reqs {
		t.Errorf("the server got a request (%s %s) though the token fetch failed", req.method, req.path)
	}
}

type checkOutput struct {
	Providers []struct {
		Name                 string     `json:"name"`
		Plugin               string     `json:"plugin"`
		Version              *string    `json:"version"`
		Hosts                []string   `json:"hosts"`
		HostsFrom            *string    `json:"hosts_from"`
		OK                   bool       `json:"ok"`
		Error                *string    `json:"error"`
		Expiry               *time.Time `json:"expiry"`
		SecondsToExpiry      *float64   `json:"seconds_to_expiry"`
		FetchDurationSeconds *float64   `json:"fetch_duration_seconds"`
	} `json:"providers"`
}

func TestCheckJSONPrintsEachProvidersFactsForScripts(t *testing.T) {
	dir := faultDir(t, `  never:
    plugin: fault
    hosts: ["*.example.com"]
    settings: {lifetime: "0"}
  broken:
    plugin: fault
    hosts: ["127.0.0.1"]
    settings: {behavior: leakencoded, password: SECRET-VALUE}
`)
	r := tp(t, dir, nil, "check", "--json")
	if r.code != 1 || !strings.Contains(r.stderr, "1 of 3 providers failed") {
		t.Fatalf("status %d, stderr %s; want 1 and the failure counted", r.code, r.stderr)
	}
	noSecretShown(t, r, "SECRET-VALUE")
	var out checkOutput
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("stdout is not the JSON object: %v\n%s", err, r.stdout)
	}
	if dec.More() {
		t.Fatalf("stdout has more than the JSON object:\n%s", r.stdout)
	}
	if len(out.Providers) != 3 || out.Providers[0].Name != "broken" || out.Providers[1].Name != "never" || out.Providers[2].Name != "sym" {
		t.Fatalf("providers not in name order:\n%s", r.stdout)
	}
	broken, never, sym := out.Providers[0], out.Providers[1], out.Providers[2]

	if broken.OK || broken.Error == nil || !strings.Contains(*broken.Error, `provider "broken"`) || !strings.Contains(*broken.Error, "permanent") ||
		broken.Expiry != nil || broken.SecondsToExpiry != nil || broken.FetchDurationSeconds == nil {
		t.Errorf("broken = %+v, want not ok, its error, no expiry, a fetch duration", broken)
	}
	if !never.OK || never.Error != nil || never.Expiry != nil || never.SecondsToExpiry != nil ||
		never.Plugin != "fault" || never.Version == nil || strings.Join(never.Hosts, ",") != "*.example.com" || never.HostsFrom == nil || *never.HostsFrom != "configured" {
		t.Errorf("never = %+v, want ok, expiry null, its configured hosts", never)
	}
	if !sym.OK || sym.Version == nil || *sym.Version != "1.0.0" || sym.Expiry == nil || sym.SecondsToExpiry == nil ||
		strings.Join(sym.Hosts, ",") != "127.0.0.1" || sym.FetchDurationSeconds == nil || *sym.FetchDurationSeconds <= 0 {
		t.Errorf("sym = %+v, want ok, version 1.0.0, an expiry, its hosts, a fetch duration", sym)
	}
	// Symphony tokens live 30 minutes.
	if left := *sym.SecondsToExpiry; left <= 0 || left > 1800 {
		t.Errorf("seconds_to_expiry = %v, want within the token's 30 minutes", left)
	}

	ok := tp(t, symphonyDir(t, `"127.0.0.1"`, ""), nil, "check", "--json")
	if ok.code != 0 || ok.stderr != "" || !strings.HasPrefix(ok.stdout, "{") || !strings.HasSuffix(ok.stdout, "}\n") {
		t.Errorf("all ok: status %d, stderr %q, stdout:\n%s", ok.code, ok.stderr, ok.stdout)
	}
}
