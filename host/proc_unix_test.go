//go:build unix

package host_test

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/tokenplug/tokenplug/host/internal/poll"
)

// processAlive reports whether pid runs and is not a zombie.
func processAlive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // not Linux: trust kill(0)
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) == 0 || fields[0] != "Z"
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q is not a pid", s)
	}
	return n
}

// waitState waits until pid's state in /proc is state (e.g. "T": stopped).
func waitState(t *testing.T, pid int, state string) {
	t.Helper()
	poll.Until(t, "process "+strconv.Itoa(pid)+" to reach state "+state, func() bool {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return true // not Linux: nothing to wait on
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		return len(f) > 0 && f[0] == state
	})
}
