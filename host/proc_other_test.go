//go:build !unix

package host_test

import (
	"os"
	"strconv"
	"testing"
)

// killPID kills the plugin whose pid the fault plugin's "pid" behavior
// returned as its token (no signals here: TerminateProcess), and waits
// for it to exit.
func killPID(t *testing.T, pid string) {
	t.Helper()
	n, err := strconv.Atoi(pid)
	if err != nil {
		t.Fatalf("%q is not a pid", pid)
	}
	p, err := os.FindProcess(n)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = p.Wait()
}

// processAlive reports whether pid names a live process: where there is
// no kill(0), whether it can still be opened.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}
