package exec

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/syncbuf"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// rightKey is the secret the conformance helper wants in its environment.
const rightKey = "right-key-5f2c8d1e"

// keyedHelper returns settings whose helper prints a token only when
// env_values gives it rightKey; a wrong key makes it fail, saying so.
func keyedHelper(t testing.TB) map[string]string {
	cmd := script(t, `[ "$EXEC_TEST_KEY" = "`+rightKey+`" ] || { echo "the key is wrong" >&2; exit 3; }; echo "tok-$$-conformance"`)
	return map[string]string{SettingCommand: cmd, SettingEnv: "EXEC_TEST_KEY", SettingEnvValues: `{"EXEC_TEST_KEY":"` + rightKey + `"}`}
}

// The plugin binary through the real host: description, token, instances
// kept apart, required settings, secrets kept out of errors.
func TestConformance(t *testing.T) {
	plugintest.Run(t, plugintest.Config{Binary: testbin.Path("exec"), Settings: keyedHelper(t)})
}

func TestProviderConformance(t *testing.T) {
	plugintest.RunProvider(t, Provider{}, keyedHelper(t))
}

// plugintest.RunFaults is about an HTTP upstream (statuses, Retry-After,
// redirects, bodies); a helper has none. Its faults are exit statuses,
// stderr, hangs, floods and output that is not a token:
// TestAFailingHelperGivesItsStatusAndLastStderrLineRedacted,
// TestAHungHelperIsKilledWithItsChildren,
// TestAHelperPrintingTenMiBIsStoppedAtOneMiB and
// TestParseErrorsSayWhatWasExpectedAndNeverQuoteTheOutput check each one's
// kind, prefix and secrets with the kit's CheckError, as RunFaults would.

func TestSecretSettingsAreMarkedSecret(t *testing.T) {
	plugintest.CheckSecretSettings(t, Provider{}, map[string]bool{
		SettingCommand: false, SettingFormat: false, SettingTokenField: false, SettingExpiryField: false,
		SettingLifetime: false, SettingTimeout: false, SettingEnv: false, SettingEnvValues: true, SettingDir: false,
	})
}

// Concurrent callers through the host share one run of the helper: the
// host's singleflight and cache, seen from the helper's side.
func TestFiftyConcurrentCallersRunTheHelperOnce(t *testing.T) {
	runs := t.TempDir() + "/runs"
	cmd := script(t, `echo run >> '`+runs+`'; sleep 0.2; echo tok-shared`)
	reg := host.NewRegistry()
	defer reg.Close()
	if err := reg.Register("helper", host.ProviderConfig{Path: testbin.Path("exec"), Hosts: []string{"api.example.com"},
		Settings: map[string]string{SettingCommand: cmd}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			tok, err := reg.Token(context.Background(), "helper")
			if err != nil || tok.AccessToken != "tok-shared" {
				t.Errorf("token %v, error %v", tok, err)
			}
		})
	}
	wg.Wait()
	b, err := os.ReadFile(runs)
	if n := strings.Count(string(b), "run"); err != nil || n != 1 {
		t.Errorf("the helper ran %d times (%v), want once", n, err)
	}
}

// The host's log, at debug, records each run but never the helper's
// stdout, nor the env values the helper echoes on stderr.
func TestTheLogNeverHoldsTheHelpersOutputOrEnvValues(t *testing.T) {
	t.Setenv("TOKENPLUG_LOG_LEVEL", "debug")
	var logs syncbuf.Buffer
	reg := host.NewRegistry(host.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	defer reg.Close()
	for name, body := range map[string]string{
		"ok":     `echo "key $EXEC_TEST_KEY" >&2; echo ` + secretTok,
		"failed": `echo ` + secretTok + `; echo "key $EXEC_TEST_KEY and ` + secretTok + `" >&2; exit 3`,
	} {
		s := keyedHelper(t)
		s[SettingCommand] = script(t, body)
		if err := reg.Register(name, host.ProviderConfig{Path: testbin.Path("exec"), Hosts: []string{"api.example.com"}, Settings: s}); err != nil {
			t.Fatal(err)
		}
		_, _ = reg.Token(context.Background(), name)
	}
	reg.Close() // flushes the plugins' logs
	got := logs.String()
	if !strings.Contains(got, "helper ran") {
		t.Fatalf("the log does not record the runs:\n%s", got)
	}
	for what, secret := range map[string]string{"the token": secretTok, "the env value": rightKey} {
		if plugintest.ContainsPart(got, secret) {
			t.Errorf("the log holds part of %s", what)
		}
	}
}
