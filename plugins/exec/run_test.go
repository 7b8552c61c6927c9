package exec

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin"
)

func TestAHungHelperIsKilledWithItsChildren(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	// The shell records its own pid and a background child's, then
	// becomes a sleep that never ends.
	cmd := script(t, `sleep 1000 & echo $! > '`+pids+`'; echo $$ >> '`+pids+`'; exec sleep 1000`)
	_, err := fetchWith(t, map[string]string{SettingCommand: cmd, SettingTimeout: "1s"})
	if !errors.Is(err, plugin.ErrTemporary) || !strings.Contains(err.Error(), "did not finish within 1s; it was killed with its process group") {
		t.Fatalf("error %v: want a temporary one saying the helper was killed at its timeout", err)
	}
	b, err := os.ReadFile(pids)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(b))
	if len(fields) != 2 {
		t.Fatalf("pid file holds %q, want two pids", b)
	}
	for _, f := range fields {
		pid, _ := strconv.Atoi(f)
		waitGone(t, pid)
	}
}

// waitGone fails the test unless process pid is gone (or a zombie, dead
// and waiting for its new parent to reap it) within 10 seconds: SIGKILL is
// delivered asynchronously.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for range 200 {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		// The state follows the command name in parentheses.
		if _, rest, _ := strings.Cut(string(stat), ") "); strings.HasPrefix(rest, "Z") {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("process %d is still running", pid)
}

func TestAHelperPrintingTenMiBIsStoppedAtOneMiB(t *testing.T) {
	_, err := fetchWith(t, map[string]string{SettingCommand: testbin.Path("helper") + " flood"})
	if !errors.Is(err, plugin.ErrTemporary) || !strings.Contains(err.Error(), "printed more than 1048576 bytes; it was stopped") {
		t.Fatalf("error %v: want a temporary one saying the helper printed too much", err)
	}
}

func TestTheCallersContextEndingKillsTheHelper(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ts, err := Provider{}.Configure(context.Background(), map[string]string{SettingCommand: script(t, "exec sleep 1000"), SettingTimeout: "10m"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ts.(plugin.ContextTokenSource).TokenContext(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v: want context.Canceled", err)
	}
}

// The helper gets PATH, HOME and what env lists, from env_values or else
// the plugin's own environment, and nothing else.
func TestTheHelperSeesOnlyPathHomeAndTheListedVariables(t *testing.T) {
	t.Setenv("EXEC_TEST_LISTED", "listed-value")
	t.Setenv("EXEC_TEST_UNLISTED", "unlisted-value")
	cases := []struct {
		name   string
		env    string
		values string
		want   map[string]string
	}{
		{"nothing listed", "", "", map[string]string{}},
		{"a listed variable of this process", "EXEC_TEST_LISTED", "", map[string]string{"EXEC_TEST_LISTED": "listed-value"}},
		{"env_values win, and only listed names pass", "EXEC_TEST_LISTED, EXEC_TEST_VIA_VALUES",
			`{"EXEC_TEST_VIA_VALUES":"from-values","EXEC_TEST_UNLISTED":"not-listed","EXEC_TEST_LISTED":"from-values-too"}`,
			map[string]string{"EXEC_TEST_LISTED": "from-values-too", "EXEC_TEST_VIA_VALUES": "from-values"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "env.json")
			_, err := fetchWith(t, map[string]string{SettingCommand: testbin.Path("helper") + " env " + file, SettingEnv: c.env, SettingEnvValues: c.values})
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]string
			b, _ := os.ReadFile(file)
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			want := maps.Clone(c.want)
			for _, k := range []string{"PATH", "HOME"} {
				if v, ok := os.LookupEnv(k); ok {
					want[k] = v
				}
			}
			if !maps.Equal(got, want) {
				t.Errorf("the helper saw the variables %q, want %q", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
			}
		})
	}
}

func TestTheHelperRunsInDirWithAnEmptyStdin(t *testing.T) {
	dir := t.TempDir()
	body := "#!/bin/sh\nif read line; then echo stdin-had-input; else echo \"$(pwd)\"; fi\n"
	if err := os.WriteFile(filepath.Join(dir, "pwd.sh"), []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	// A relative program path is resolved against dir.
	tok, err := fetchWith(t, map[string]string{SettingCommand: "./pwd.sh", SettingDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if real, _ := filepath.EvalSymlinks(dir); tok.AccessToken != dir && tok.AccessToken != real {
		t.Errorf("the helper printed %q, want its working directory %q", tok.AccessToken, dir)
	}
}

// A child left running (and holding stdout) after the helper exits is
// killed, and does not hold the run up.
func TestChildrenLeftBehindByASucceedingHelperAreKilled(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	cmd := script(t, `sleep 1000 & echo $! > '`+pids+`'; echo tok-left`)
	tok, err := fetchWith(t, map[string]string{SettingCommand: cmd, SettingTimeout: "10m"})
	if err != nil || tok.AccessToken != "tok-left" {
		t.Fatalf("token %v, error %v", tok, err)
	}
	b, err := os.ReadFile(pids)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid == 0 {
		t.Fatalf("pid file %q: %v", b, err)
	}
	waitGone(t, pid)
}
