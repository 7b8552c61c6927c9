package exec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// fetchWith configures the provider, clock fixed at now, and runs the
// helper once.
func fetchWith(t *testing.T, settings map[string]string) (*oauth2.Token, error) {
	t.Helper()
	ts := plugintest.MustConfigure(t, Provider{Now: func() time.Time { return now }}, settings)
	return ts.(plugin.ContextTokenSource).TokenContext(context.Background())
}

func TestTheExpiryComesFromTheOutputElseTheJWTElseLifetime(t *testing.T) {
	jwt := plugintest.UnsignedJWT(`{"iat":1765022400,"exp":1765024200}`) // 30 min apart
	cases := []struct {
		name     string
		out      string
		lifetime string
		want     time.Time
	}{
		{"a bare token lives for the default lifetime", "opaque-token\n", "", now.Add(DefaultLifetime)},
		{"a bare token lives for lifetime", "opaque-token\n", "90s", now.Add(90 * time.Second)},
		{"a JWT lives exp - iat", jwt + "\n", "90s", now.Add(30 * time.Minute)},
		{"the IBM Cloud CLI's iam_token lives as its JWT says", `{"iam_token":"Bearer ` + jwt + `"}`, "", now.Add(30 * time.Minute)},
		{"the output's expiry wins over the JWT's", `{"access_token":"` + jwt + `","expires_in":600}`, "", now.Add(10 * time.Minute)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := map[string]string{SettingCommand: printing(t, c.out)}
			if c.lifetime != "" {
				s[SettingLifetime] = c.lifetime
			}
			tok, err := fetchWith(t, s)
			if err != nil {
				t.Fatal(err)
			}
			if !tok.Expiry.Equal(c.want) || tok.Type() != "Bearer" {
				t.Errorf("expiry %v type %q, want %v Bearer", tok.Expiry, tok.Type(), c.want)
			}
		})
	}
}

func TestAFailingHelperGivesItsStatusAndLastStderrLineRedacted(t *testing.T) {
	jwt := plugintest.UnsignedJWT(`{"sub":"someone-secret"}`)
	const envSecret = "env-secret-value-0451"
	t.Setenv("EXEC_TEST_SECRET", envSecret)
	cases := []struct {
		name   string
		body   string
		kind   error
		says   string
		hidden []string
	}{
		{"a status and a reason: permanent", `echo "trace $EXEC_TEST_SECRET" >&2; echo "ERROR: Please run 'az login' to setup account." >&2; exit 3`,
			plugin.ErrPermanent, "exited with status 3: ERROR: Please run 'az login' to setup account.", []string{envSecret}},
		{"status 1 and nothing printed: temporary", `exit 1`, plugin.ErrTemporary, "exited with status 1 and printed nothing", nil},
		{"EX_TEMPFAIL: temporary", `echo "try later" >&2; exit 75`, plugin.ErrTemporary, "status 75 (temporary failure): try later", nil},
		{"the env values, the JWT and what follows Bearer are redacted", `echo "using $EXEC_TEST_SECRET with ` + jwt + ` and Authorization: Bearer abcdefgh12345678" >&2; exit 2`,
			plugin.ErrPermanent, "using [REDACTED] with [REDACTED] and Authorization: [REDACTED]", []string{envSecret, jwt, "abcdefgh12345678"}},
		{"a token printed before failing is redacted from stderr", `echo "` + secretTok + `"; echo "rejected ` + secretTok + `" >&2; exit 4`,
			plugin.ErrPermanent, "rejected [REDACTED]", []string{secretTok}},
		{"control characters are stripped", `printf 'bad\033[2J\rthing\n' >&2; exit 5`, plugin.ErrPermanent, "bad [2J thing", nil},
		{"a helper that wants a terminal says so", `read answer < /dev/tty`, plugin.ErrPermanent, "wanted to prompt", nil},
		{"a device-code login says so", `echo "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD1234 to authenticate." >&2; exit 1`,
			plugin.ErrPermanent, "run it once by hand to log in", nil},
		{"garbage says which format was expected", `echo "{oops ` + secretTok + `"`, plugin.ErrTemporary, "format auto wants", []string{secretTok}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := fetchWith(t, map[string]string{SettingCommand: script(t, c.body), SettingEnv: "EXEC_TEST_SECRET"})
			plugintest.CheckError(t, err, "tokenplug/exec: helper.sh", c.hidden...)
			if err == nil {
				return
			}
			if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %q: want one matching %v that says %q", err, c.kind, c.says)
			}
		})
	}
}

func TestAMissingOrNotExecutableProgramIsAConfigErrorNamingIt(t *testing.T) {
	notExec := filepath.Join(t.TempDir(), "helper")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\necho tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"a name not on PATH":        "tokenplug-no-such-helper --flag",
		"an absolute path missing":  "/nonexistent/helper",
		"a file without the x bit":  notExec,
		"a relative path not there": "./missing/helper arg",
	}
	for name, command := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Provider{}.Configure(context.Background(), map[string]string{SettingCommand: command})
			plugintest.CheckSettingError(t, err, SettingCommand)
			if prog, _, _ := strings.Cut(command, " "); err != nil && !strings.Contains(err.Error(), strings.TrimPrefix(prog, "./")) {
				t.Errorf("error %q does not name the program %s", err, prog)
			}
		})
	}
}

func TestSettingsAreCheckedByKey(t *testing.T) {
	ok := printing(t, "tok")
	cases := []struct {
		name string
		s    map[string]string
		key  string
	}{
		{"an unbalanced quote", map[string]string{SettingCommand: `vault print 'token`}, SettingCommand},
		{"an empty command", map[string]string{SettingCommand: `  `}, SettingCommand},
		{"an unknown format", map[string]string{SettingCommand: ok, SettingFormat: "yaml"}, SettingFormat},
		{"token_field with text", map[string]string{SettingCommand: ok, SettingFormat: "text", SettingTokenField: "a"}, SettingTokenField},
		{"lifetime over 24h", map[string]string{SettingCommand: ok, SettingLifetime: "25h"}, SettingLifetime},
		{"lifetime zero", map[string]string{SettingCommand: ok, SettingLifetime: "0s"}, SettingLifetime},
		{"timeout over 10m", map[string]string{SettingCommand: ok, SettingTimeout: "1h"}, SettingTimeout},
		{"env with a value", map[string]string{SettingCommand: ok, SettingEnv: "A,TOKEN=s3cret-value"}, SettingEnv},
		{"a command that starts with a shell variable assignment", map[string]string{SettingCommand: "GH_TOKEN=s3cret-value gh auth token"}, SettingCommand},
		{"env_values not JSON", map[string]string{SettingCommand: ok, SettingEnvValues: "s3cret-value"}, SettingEnvValues},
		{"dir missing", map[string]string{SettingCommand: ok, SettingDir: "/nonexistent/dir"}, SettingDir},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := plugintest.Configure(context.Background(), Provider{}, c.s)
			plugintest.CheckSettingError(t, err, c.key, "s3cret-value")
		})
	}
}

// Each format and field family again, printed by a real helper and read
// through Configure's settings.
func TestEveryFormatThroughARealHelper(t *testing.T) {
	for _, c := range formatCases() {
		t.Run(c.name, func(t *testing.T) {
			tok, err := fetchWith(t, map[string]string{SettingCommand: printing(t, c.out), SettingFormat: string(c.p.format),
				SettingTokenField: c.p.tokenField, SettingExpiryField: c.p.expiryField})
			if err != nil {
				t.Fatal(err)
			}
			want := c.expiry
			if want.IsZero() {
				want = now.Add(DefaultLifetime)
				if exp, ok := plugin.JWTExpiry(c.tok); ok {
					want = exp
				}
			}
			if tok.AccessToken != c.tok || !tok.Expiry.Equal(want) {
				t.Errorf("token %q expiry %v, want %q %v", tok.AccessToken, tok.Expiry, c.tok, want)
			}
		})
	}
}

func TestASucceedingHelperMayMentionATerminalOnStderr(t *testing.T) {
	tok, err := fetchWith(t, map[string]string{SettingCommand: script(t, `echo "warning: /dev/tty not used" >&2; echo tok-fine`)})
	if err != nil || tok.AccessToken != "tok-fine" {
		t.Errorf("token %v, error %v", tok, err)
	}
}

func TestAProgramRemovedAfterConfigureIsAConfigErrorAtTheRun(t *testing.T) {
	cmd := printing(t, "tok")
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingCommand: cmd})
	if err := os.Remove(cmd); err != nil {
		t.Fatal(err)
	}
	_, err := ts.Token()
	plugintest.CheckSettingError(t, err, SettingCommand)
	if err != nil && !strings.Contains(err.Error(), cmd+": cannot run: no such file or directory") {
		t.Errorf("error %q does not name the program and why", err)
	}
}

func TestADeviceCodePromptIsSeenEvenWhenTheCallerGivesUpFirst(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := filepath.Join(t.TempDir(), "started")
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{
		SettingCommand: script(t, `echo "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD1234" >&2; `+
			`echo > '`+started+`'; exec sleep 1000`),
	})
	errc := make(chan error, 1)
	go func() { _, err := ts.(plugin.ContextTokenSource).TokenContext(ctx); errc <- err }()
	for range 400 { // the prompt is in the pipe once the helper wrote the file
		if _, err := os.Stat(started); err == nil {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	cancel()
	if err := <-errc; !errors.Is(err, plugin.ErrPermanent) || !strings.Contains(err.Error(), "run it once by hand to log in") {
		t.Errorf("error %v: want a permanent one saying to log in by hand", err)
	}
}

// The helper's stderr is kept from its end (stderrTail bytes): the cut can
// fall inside a secret, whose tail redaction then cannot recognise. A
// secret cut in two must show no part of itself.
func TestASecretCutByTheStderrTailShowsNoPartOfItself(t *testing.T) {
	const envSecret = "env-secret-0123456789-abcdefghij-KLMNOPQ" // 40 bytes
	t.Setenv("EXEC_TEST_SECRET", envSecret)
	half := envSecret[20:]
	fill := func(n int, c string) string {
		return "head -c " + strconv.Itoa(n) + " /dev/zero | tr '\\0' " + c + " >&2; "
	}
	cases := []struct{ name, body string }{
		{"one long line", fill(200, "x") + `printf %s "$EXEC_TEST_SECRET" >&2; ` + fill(stderrTail-len(half), "y") + "exit 2"},
		{"a long line, then the reason", fill(200, "x") + `printf %s "$EXEC_TEST_SECRET" >&2; ` + fill(stderrTail-len(half)-8, "y") + `printf '\nfailed\n' >&2; exit 2`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := plugintest.MustConfigure(t, Provider{Now: func() time.Time { return now }},
				map[string]string{SettingCommand: script(t, c.body), SettingEnv: "EXEC_TEST_SECRET"}).(*source)
			o := src.job.run(context.Background())
			if stderr := src.redactStderr(o); strings.Contains(stderr, half) {
				t.Errorf("the stderr kept for the error and the log shows the secret's second half: %.80q", stderr)
			}
			_, err := src.TokenContext(context.Background())
			plugintest.CheckError(t, err, "tokenplug/exec: helper.sh", half)
		})
	}
}

// A Google executable response that reports failure is quoted in the
// error (its code and message), as stderr is: the env values, a JWT and
// what follows Bearer are redacted there too.
func TestAFailureMessageOnStdoutIsRedactedAsStderrIs(t *testing.T) {
	const envSecret = "env-secret-value-0451"
	t.Setenv("EXEC_TEST_SECRET", envSecret)
	jwt := plugintest.UnsignedJWT(`{"sub":"someone-secret"}`)
	body := `printf '{"version":1,"success":false,"code":"401","message":"key %s and ` + jwt + ` refused"}\n' "$EXEC_TEST_SECRET"`
	_, err := fetchWith(t, map[string]string{SettingCommand: script(t, body), SettingEnv: "EXEC_TEST_SECRET"})
	plugintest.CheckError(t, err, "tokenplug/exec: helper.sh", envSecret, jwt)
	if !errors.Is(err, plugin.ErrPermanent) || !strings.Contains(err.Error(), "refused") {
		t.Errorf("error %v: want a permanent one that quotes the message", err)
	}
}

// A bare program name is looked up on PATH once, at configure: a program
// of the same name put earlier on PATH afterwards (or a PATH changed
// since) is never the one that runs.
func TestAProgramFoundOnPATHIsTheOneThatRunsAfterPATHChanges(t *testing.T) {
	write := func(dir, tok string) {
		if err := os.WriteFile(filepath.Join(dir, "tokenplug-test-helper"), []byte("#!/bin/sh\necho "+tok+"\n"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	early, late := t.TempDir(), t.TempDir()
	write(late, "token-from-the-configured-program")
	t.Setenv("PATH", early+string(os.PathListSeparator)+late+string(os.PathListSeparator)+os.Getenv("PATH"))
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingCommand: "tokenplug-test-helper"})
	write(early, "token-from-a-planted-program")
	tok, err := ts.Token()
	if err != nil || tok.AccessToken != "token-from-the-configured-program" {
		t.Fatalf("token %v, error %v: want the program found at configure", tok, err)
	}
}
