//go:build unix

package host_test

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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

// killPID kills the plugin whose pid the fault plugin's "pid" behavior
// returned as its token, and waits for it to be gone.
func killPID(t *testing.T, pid string) {
	t.Helper()
	var n int
	for _, c := range pid {
		n = n*10 + int(c-'0')
	}
	if err := syscall.Kill(n, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2000 && syscall.Kill(n, 0) == nil; i++ {
		time.Sleep(5 * time.Millisecond)
	}
}
