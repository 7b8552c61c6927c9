//go:build !unix

package exec

import (
	"os"
	"syscall"
)

// newSession is a no-op where there are no sessions; helpers' children
// are not reached by killGroup there.
func newSession() *syscall.SysProcAttr { return nil }

// killGroup kills the helper alone.
func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}
