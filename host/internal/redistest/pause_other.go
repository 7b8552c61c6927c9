//go:build !unix

package redistest

// Pause is not available where processes cannot be stopped by a signal:
// the test that needs a hung Redis is skipped.
func (s *Server) Pause() { s.t.Skip("redistest: pausing redis-server needs SIGSTOP (unix only)") }

// Resume does nothing where Pause skips.
func (s *Server) Resume() {}
