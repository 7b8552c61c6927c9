package launch_test

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/internal/launch"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/internal/wire"
	"github.com/tokenplug/tokenplug/plugin"
)

// start starts the fault plugin with env as its command's environment.
func start(t *testing.T, env ...string) launch.Conn {
	t.Helper()
	return startMode(t, "fault", launch.PinnedTLS, env...)
}

// startMode starts the plugin bin with the channel mode.
func startMode(t *testing.T, bin string, mode launch.Mode, env ...string) launch.Conn {
	t.Helper()
	cmd := exec.Command(testbin.Path(bin))
	cmd.Env = env
	p, conn, err := launch.Start(launch.Config{Cmd: cmd, Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return conn
}

// faultSays starts the fault plugin with env, configures it with behavior
// and returns its token, which says what the plugin saw.
func faultSays(t *testing.T, behavior string, env ...string) string {
	t.Helper()
	conn := start(t, env...)
	if err := conn.Configure(t.Context(), map[string]string{"behavior": behavior, "lifetime": "1h"}); err != nil {
		t.Fatal(err)
	}
	tok, err := conn.Token(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

func TestAStartedPluginDescribesConfiguresAndIssuesTokens(t *testing.T) {
	conn := start(t)
	ctx := t.Context()
	if err := conn.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	d, err := conn.Describe(ctx)
	if err != nil || d.Name != "fault" {
		t.Fatalf("describe: %+v, %v", d, err)
	}
	if err := conn.Configure(ctx, map[string]string{"behavior": "ok", "lifetime": "1h"}); err != nil {
		t.Fatal(err)
	}
	tok, err := conn.Token(ctx, false)
	if err != nil || tok.AccessToken != "tok-1" {
		t.Fatalf("token: %v, %v", tok, err)
	}
	var se plugin.SettingErrors
	if err := conn.Configure(ctx, map[string]string{"lifetime": "soon"}); !errors.As(err, &se) || len(se) == 0 || se[0].Key != "lifetime" {
		t.Fatalf("a bad setting came back as %v, want plugin.SettingErrors naming lifetime", err)
	}
}

func TestAPluginSeesOnlyItsCommandsEnvironmentNotTheHosts(t *testing.T) {
	t.Setenv("TOKENPLUG_TEST_HOST_SECRET", "s3cr3t")
	keys := strings.Split(faultSays(t, "env", "GIVEN=1"), ",")
	if slices.Contains(keys, "TOKENPLUG_TEST_HOST_SECRET") || !slices.Contains(keys, "GIVEN") {
		t.Fatalf("the plugin's environment has %q; want GIVEN and nothing of the host's", keys)
	}
	if !slices.Contains(keys, wire.EnvPluginTLS) {
		t.Fatalf("the plugin was not told where its channel certificate is: %q", keys)
	}
}

func TestPluginsAndHostsOfEitherChannelKindWorkTogether(t *testing.T) {
	for name, start := range map[string]func(t *testing.T) launch.Conn{
		// A host that predates the pinned channel (go-plugin's AutoMTLS),
		// and a plugin of this SDK.
		"old host, new plugin": func(t *testing.T) launch.Conn { return startMode(t, "fault", launch.AutoMTLS) },
		// This host and a plugin built with an SDK that predates it.
		"new host, old plugin": func(t *testing.T) launch.Conn { return startMode(t, "old", launch.PinnedTLS) },
	} {
		t.Run(name, func(t *testing.T) {
			d, err := start(t).Describe(t.Context())
			if err != nil || d.Name == "" {
				t.Fatalf("describe: %+v, %v", d, err)
			}
		})
	}
}

func TestStartRefusesAProgramThatIsNoPlugin(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	cmd := exec.Command(sh, "-c", "echo not a plugin; exit 3")
	cmd.Env = []string{}
	p, conn, err := launch.Start(launch.Config{Cmd: cmd})
	if err == nil || p != nil || conn != nil {
		t.Fatalf("Start = %v, %v, %v; want an error", p, conn, err)
	}
}

func TestSecretValuesListsOnlyNonEmptySecrets(t *testing.T) {
	d := plugin.Description{Name: "demo", Settings: []plugin.Setting{
		{Key: "api_key", Required: true, Secret: true},
		{Key: "region"},
	}}
	got := launch.SecretValues(d, map[string]string{"api_key": "s3cr3t", "region": "eu"})
	if !slices.Equal(got, []string{"s3cr3t"}) {
		t.Fatalf("got %q", got)
	}
	if got := launch.SecretValues(d, map[string]string{"api_key": ""}); got != nil {
		t.Fatalf("empty secret listed: %q", got)
	}
}

// TestMain builds the fault plugin and testdata/oldplugin once for the
// package, and fails the run if a test leaks goroutines.
func TestMain(m *testing.M) {
	testbin.Main(m, map[string]string{"fault": "../faultplugin", "old": "./testdata/oldplugin"})
}

func TestTheProviderFindsNothingOnStdinServeReadTheChannelKeyFromIt(t *testing.T) {
	if got, want := faultSays(t, "stdin"), `stdin "" EOF`; got != want {
		t.Fatalf("the provider read %s from stdin, want %s", got, want)
	}
}
