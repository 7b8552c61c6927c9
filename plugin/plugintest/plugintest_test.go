package plugintest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugins/symphony"
)

func TestMain(m *testing.M) {
	plugins := testbin.Plugins("symphony", "fault")
	plugins["vendorplug"] = "./testdata/vendorplug" // a plugin that reaches for its vendor: see TestRunKeepsAPluginOffTheVendorsDefaultURL
	testbin.Main(m, plugins)
}

func symphonySettings(t *testing.T) map[string]string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return map[string]string{"private_key": string(pemKey), "public_key_name": "acme"}
}

// The kit passes a real, well-behaved plugin: built from its package, and
// as a binary, with a token check of the caller's own.
func TestRunPassesTheSymphonyPlugin(t *testing.T) {
	settings := symphonySettings(t)
	checked := false
	Run(t, Config{
		Package:  "../../plugins/symphony/cmd/tokenplug-symphony",
		Settings: settings,
		CheckToken: func(t *testing.T, tok *oauth2.Token) {
			checked = true
			if _, ok := plugin.JWTExpiry(tok.AccessToken); !ok {
				t.Errorf("not a JWT with exp")
			}
		},
	})
	if !checked {
		t.Error("CheckToken was not called")
	}
}

func TestRunProviderPassesTheSymphonyProvider(t *testing.T) {
	RunProvider(t, symphony.Provider{}, symphonySettings(t))
}

func TestDescribeCommandRejectsStrayStdout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if d, err := describeCommand(ctx, testbin.Path("fault")); err != nil || d.Name != "fault" {
		t.Fatalf("clean plugin: %+v, %v", d, err)
	}
	// A plugin that prints before plugin.Serve: the describe output, and
	// the handshake, are broken.
	noisy := filepath.Join(t.TempDir(), "tokenplug-noisy")
	script := fmt.Sprintf("#!/bin/sh\necho 'starting up'\nexec %q \"$@\"\n", testbin.Path("fault"))
	if err := os.WriteFile(noisy, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := describeCommand(ctx, noisy); err == nil || !strings.Contains(err.Error(), "not the schema JSON") {
		t.Fatalf("noisy plugin: %v", err)
	}
}

func TestRunRawSeesWhatTheHostHides(t *testing.T) {
	const password = "hunter2-correct-horse"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tests := []struct {
		behavior string
		check    func(t *testing.T, out rawOutput)
	}{
		{"ok", func(t *testing.T, out rawOutput) {
			if out.stdout != "" || strings.Contains(out.stderr, password) {
				t.Errorf("a clean plugin: stdout %q, secret in stderr %v", out.stdout, strings.Contains(out.stderr, password))
			}
		}},
		{"stdout", func(t *testing.T, out rawOutput) {
			if !strings.Contains(out.stdout, "garbage on stdout") {
				t.Errorf("stdout after the handshake not seen: %q", out.stdout)
			}
		}},
		{"logsecret", func(t *testing.T, out rawOutput) {
			r := &recorder{}
			checkNoSecrets(r, "stderr", out.stderr, map[string]string{`secret setting "password"`: password})
			if len(r.errs) != 1 || strings.Contains(r.errs[0], password) || !strings.Contains(r.errs[0], `"password"`) {
				t.Errorf("secret in the plugin's log: reported %q", r.errs)
			}
		}},
		// The SDK scrubs an instance's errors of its own secret settings
		// before they leave the plugin (issue 26): even a careless
		// provider's error crosses without the secret.
		{"permanent", func(t *testing.T, out rawOutput) {
			if len(out.errs) != 1 || strings.Contains(out.errs[0].Error(), password) || !strings.Contains(out.errs[0].Error(), "[REDACTED]") {
				t.Errorf("want the careless error with the secret masked by the SDK: %v", out.errs)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.behavior, func(t *testing.T) {
			out, _, err := runRaw(ctx, testbin.Path("fault"), nil, map[string]string{"behavior": tt.behavior, "password": password})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, out)
		})
	}
}

// recorder is a reporter that keeps what the checks report.
type recorder struct{ errs, logs []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func TestCheckDescription(t *testing.T) {
	good := plugin.Description{Name: "acme-sso", Version: "1.0.0", Settings: []plugin.Setting{
		{Key: "api_key", Description: "key", Required: true, Secret: true},
		{Key: "token_url", Description: "url", Default: "https://x"},
		{Key: "public_key_name", Description: "name"},
	}, DefaultHosts: []string{"api.acme.test", "*.acme.test"}}
	tests := []struct {
		name       string
		mutate     func(d *plugin.Description)
		errs, logs string // a substring of the one report expected; "" none
	}{
		{"a good description", func(*plugin.Description) {}, "", ""},
		{"empty name", func(d *plugin.Description) { d.Name = "" }, `name ""`, ""},
		{"upper-case name", func(d *plugin.Description) { d.Name = "Acme" }, `name "Acme"`, ""},
		{"no version", func(d *plugin.Description) { d.Version = " " }, "version is empty", ""},
		{"camelCase key", func(d *plugin.Description) { d.Settings[1].Key = "tokenURL" }, `"tokenURL" is not snake_case`, ""},
		{"duplicate key", func(d *plugin.Description) { d.Settings[2].Key = "api_key"; d.Settings[2].Secret = true },
			`"api_key" is declared twice`, ""},
		{"required with default", func(d *plugin.Description) { d.Settings[1].Required = true }, "required and has a default", ""},
		{"secret not marked", func(d *plugin.Description) { d.Settings[0].Secret = false }, "", "looks like a secret"},
		{"no setting description", func(d *plugin.Description) { d.Settings[1].Description = "" }, "", "has no description"},
		{"no default hosts", func(d *plugin.Description) { d.DefaultHosts = nil }, "", "no default hosts"},
		{"every host as a default", func(d *plugin.Description) { d.DefaultHosts = []string{"*"} }, `default hosts include "*"`, ""},
		{"an invalid default host", func(d *plugin.Description) { d.DefaultHosts = []string{"https://api.acme.test"} }, "not a URL", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := good
			d.Settings = append([]plugin.Setting(nil), good.Settings...)
			tt.mutate(&d)
			r := &recorder{}
			checkDescription(r, d)
			expectOne(t, "errors", r.errs, tt.errs)
			expectOne(t, "logs", r.logs, tt.logs)
		})
	}
}

// hostsFor is a plugin.HostsForSettings that gives the hosts setting,
// split at commas.
type hostsFor struct{}

func (hostsFor) DefaultHostsFor(s map[string]string) []string {
	if s["hosts"] == "" {
		return nil
	}
	return strings.Split(s["hosts"], ",")
}

func TestCheckHostsForSettings(t *testing.T) {
	d := plugin.Description{Settings: []plugin.Setting{{Key: "hosts"}}, DefaultHosts: []string{"api.acme.test", "*.acme.test"}}
	for _, tt := range []struct{ hosts, errs string }{
		{"", ""},
		{"*.acme.test", ""},
		{"api.acme.test,*.acme.test", ""},
		{"api.acme.test,api.evil.test", `"api.evil.test" is not among`},
		{"*", `"*" is not among`},
	} {
		r := &recorder{}
		checkHostsForSettings(r, hostsFor{}, d, map[string]string{"hosts": tt.hosts})
		expectOne(t, "errors for "+tt.hosts, r.errs, tt.errs)
	}
}

func expectOne(t *testing.T, what string, got []string, want string) {
	t.Helper()
	switch {
	case want == "" && len(got) > 0:
		t.Errorf("%s: %q, want none", what, got)
	case want != "" && (len(got) != 1 || !strings.Contains(got[0], want)):
		t.Errorf("%s: %q, want one containing %q", what, got, want)
	}
}

func TestLooksSecret(t *testing.T) {
	for key, want := range map[string]bool{
		"api_key": true, "apikey": true, "client_secret": true, "private_key": true, "subscription_key": true,
		"password": true, "refresh_token": true, "jwt": true, "token": true,
		"token_url": false, "public_key_name": false, "client_id": false, "region": false, "header": false, "public_key": false,
		"private_key_file": false, "client_secret_path": false, "secret_name": false,
	} {
		if got := looksSecret(key); got != want {
			t.Errorf("looksSecret(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestCheckSecretSettings(t *testing.T) {
	d := plugin.Description{Settings: []plugin.Setting{
		{Key: "api_key", Secret: true}, {Key: "token_url"},
	}}
	tests := []struct {
		name   string
		secret map[string]bool
		errs   string // a substring of the one error expected; "" none
	}{
		{"every key, rightly marked", map[string]bool{"api_key": true, "token_url": false}, ""},
		{"a secret key listed as not secret", map[string]bool{"api_key": false, "token_url": false}, `"api_key": Secret is true, want false`},
		{"a plain key listed as secret", map[string]bool{"api_key": true, "token_url": true}, `"token_url": Secret is false, want true`},
		{"a declared key not listed", map[string]bool{"api_key": true}, `"token_url" is declared but not listed`},
		{"a listed key not declared", map[string]bool{"api_key": true, "token_url": false, "client_secret": true}, `"client_secret" is listed but not declared`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			checkSecretSettings(r, d, tt.secret)
			expectOne(t, "errors", r.errs, tt.errs)
			expectOne(t, "logs", r.logs, "")
		})
	}
}

func TestCheckToken(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	hour := now.Add(time.Hour)
	tests := []struct {
		name       string
		tok        *oauth2.Token
		errs, logs string
	}{
		{"bearer with expiry", &oauth2.Token{AccessToken: "t", TokenType: "Bearer", Expiry: hour}, "", ""},
		{"never expires", &oauth2.Token{AccessToken: "t"}, "", ""},
		{"raw header and hint", plugin.WithRefreshAt(plugin.WithHeader(&oauth2.Token{AccessToken: "t", Expiry: hour}, "X-Api-Key"), now.Add(50*time.Minute)), "", ""},
		{"nil", nil, "empty access token", ""},
		{"empty", &oauth2.Token{}, "empty access token", ""},
		{"trailing newline", &oauth2.Token{AccessToken: "t\n"}, "control characters", ""},
		{"already expired", &oauth2.Token{AccessToken: "t", Expiry: now.Add(-time.Second)}, "not in the future", ""},
		{"expiry in ms read as s", &oauth2.Token{AccessToken: "t", Expiry: now.AddDate(50, 0, 0)}, "", "more than a year"},
		{"bad header", plugin.WithHeader(&oauth2.Token{AccessToken: "t"}, "X Key"), "not a valid HTTP header name", ""},
		{"hint after expiry", plugin.WithRefreshAt(&oauth2.Token{AccessToken: "t", Expiry: hour}, hour), "not before expiry", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			checkToken(r, tt.tok, now)
			expectOne(t, "errors", r.errs, tt.errs)
			expectOne(t, "logs", r.logs, tt.logs)
		})
	}
}

func TestCheckRejected(t *testing.T) {
	for name, tt := range map[string]struct {
		err  error
		want string
	}{
		"named":         {plugin.Errorf("region", "required"), ""},
		"accepted":      {nil, "accepted"},
		"other key":     {plugin.Errorf("zone", "required"), `want "region"`},
		"not a setting": {plugin.Permanent(fmt.Errorf("no")), "configuration error"},
	} {
		r := &recorder{}
		checkRejected(r, tt.err, "region")
		if tt.want == "" && len(r.errs) > 0 || tt.want != "" && !strings.Contains(strings.Join(r.errs, "\n"), tt.want) {
			t.Errorf("%s: %q, want %q", name, r.errs, tt.want)
		}
	}
}

// The instance check passes a plugin whose instances are kept apart, and
// catches one that keeps the last settings per process: its working
// instances fetch with another instance's wrong secret.
func TestCheckInstances(t *testing.T) {
	settings := map[string]string{"behavior": "checkkey", "password": "good-password-1234"}
	desc := plugin.Description{Settings: []plugin.Setting{{Key: "password", Secret: true}}}
	step := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 30*time.Second)
	}
	wrapper := func(args string) string {
		path := filepath.Join(t.TempDir(), "tokenplug-fault")
		script := "#!/bin/sh\nexec " + testbin.Path("fault") + " " + args + " \"$@\"\n"
		if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, tt := range []struct {
		args string
		fail bool
	}{{"", false}, {"--single-instance", false}, {"--shared-state", true}} {
		t.Run("args "+tt.args, func(t *testing.T) {
			r := &recorder{}
			checkInstances(r, wrapper(tt.args), desc, settings, newHarness(realT{t}, testbin.Path("fault")), step)
			if failed := len(r.errs) > 0; failed != tt.fail {
				t.Errorf("reported %q, want failure %v", r.errs, tt.fail)
			}
			if tt.args == "--single-instance" && len(r.logs) != 1 {
				t.Errorf("a single-instance plugin is logged once; logged %q", r.logs)
			}
		})
	}
}
