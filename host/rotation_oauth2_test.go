//go:build unix

package host_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// childrenRunning returns the pids of this process's children that run
// the binary at path (Linux /proc; none elsewhere).
func childrenRunning(t *testing.T, path string) []int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || exe != path || parentOf(pid) != os.Getpid() {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// parentOf returns pid's parent from /proc/<pid>/stat, or -1.
func parentOf(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	s := string(b)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ')' {
			var state string
			var ppid int
			if _, err := fmt.Sscan(s[i+1:], &state, &ppid); err == nil {
				return ppid
			}
			break
		}
	}
	return -1
}

// RFC 6749 §6 and RFC 9700 §4.14.2: the real tokenplug-oauth2 binary
// against the emulator, which rotates refresh tokens and refuses spent
// ones. After SIGKILL the restarted plugin is configured with the rotated
// refresh token, not the spent one the user configured.
func TestTheOAuth2PluginsRotatedRefreshTokenSurvivesAKill(t *testing.T) {
	e := emulator.StartOAuth2()
	t.Cleanup(e.Close)
	if err := e.AddClient(emulator.OAuth2Client{ID: "app", Secret: "app-secret-0123456789"}); err != nil {
		t.Fatal(err)
	}
	first, err := e.IssueRefreshToken("app", "")
	if err != nil {
		t.Fatal(err)
	}
	reg, logs := newRegistry(t, host.WithInvalidationWindow(0))
	src := mustSource(t, reg, "idp", host.ProviderConfig{Path: testbin.Path("oauth2"), Hosts: []string{"127.0.0.1"}, Settings: map[string]string{
		"token_url": e.TokenURL(), "grant": "refresh_token", "refresh_token": first, "client_id": "app", "client_secret": "app-secret-0123456789",
	}})
	tok := mustToken(t, src)
	for round := range 2 {
		pids := childrenRunning(t, testbin.Path("oauth2"))
		if len(pids) != 1 {
			t.Fatalf("round %d: %d tokenplug-oauth2 processes, want 1", round, len(pids))
		}
		if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		waitGone(t, pids[0])
		src.Invalidate(tok)
		tok = mustToken(t, src)
	}
	for _, r := range e.Requests() {
		if r.Error != "" {
			t.Errorf("the emulator refused a %s request: %s", r.GrantType, r.Error)
		}
	}
	if n := len(e.Requests()); n != 3 {
		t.Errorf("%d token requests, want 3", n)
	}
	reg.Close()
	if leak := findLeak(logs.String(), first); leak != "" {
		t.Errorf("the log shows %q, part of the configured refresh token", leak)
	}
}
