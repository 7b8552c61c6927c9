//go:build unix

package redistest

import "syscall"

// Pause freezes the server (SIGSTOP): it accepts connections but answers
// nothing, like a Redis stuck in a long command. Resume undoes it.
func (s *Server) Pause() { _ = s.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume lets a paused server run again (SIGCONT).
func (s *Server) Resume() { _ = s.cmd.Process.Signal(syscall.SIGCONT) }
