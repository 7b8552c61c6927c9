//go:build unix

package exec

import "syscall"

// newSession makes the helper the leader of a new session and process
// group: it has no controlling terminal, so a helper that would prompt
// (opening /dev/tty) fails at once instead of waiting for a person, and
// killGroup reaches its children.
func newSession() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }

// killGroup kills the process group led by pid: the helper and every
// child it started that stayed in its group. A group that is gone already
// is fine.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
