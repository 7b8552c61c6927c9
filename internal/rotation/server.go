// Package rotation is a test fixture for refresh token rotation (RFC 6749
// §6, with rotation as OAuth 2.0 Security BCP §4.14.2 advises): a token
// server on 127.0.0.1 that issues a new refresh token with every access
// token and refuses a spent one with invalid_grant, and a provider that
// refreshes against it and asks its host to keep each rotated refresh
// token (plugin.WithSettingsUpdate). cmd/tokenplug-rotate serves the
// provider as a plugin. It is for tests only.
package rotation

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
)

// Server is a token endpoint with refresh token rotation. Its refresh
// tokens are "<prefix>-rt-<n>-...-SECRET", long enough that tests find any
// 16-character piece of one, or of an encoding of one: each is good for one use, which
// spends it and issues the next. Safe for concurrent use.
type Server struct {
	URL string // the token endpoint

	srv    *httptest.Server
	prefix string

	mu      sync.Mutex      // guards the fields below
	valid   map[string]bool // refresh tokens not spent yet
	issued  int             // refresh tokens issued so far
	used    []string        // refresh tokens presented, in order, good or not
	refused int             // requests refused
}

// Start starts a server whose one valid refresh token is Initial().
// Close it when done.
func Start(prefix string) *Server {
	s := &Server{prefix: prefix, valid: map[string]bool{}}
	s.valid[s.next()] = true
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/token"
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// RevokeAll spends every refresh token issued so far, as a server that
// detected reuse revokes a token family: the next refresh is refused.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.valid)
}

// Initial returns the first refresh token, the one to configure.
func (s *Server) Initial() string { return s.rt(1) }

// Issued returns every refresh token issued so far, Initial first.
func (s *Server) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, s.issued)
	for i := range out {
		out[i] = s.rt(i + 1)
	}
	return out
}

// Used returns the refresh tokens presented, in order.
func (s *Server) Used() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.used...)
}

// Refused returns how many requests the server refused.
func (s *Server) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

func (s *Server) rt(n int) string {
	return fmt.Sprintf("%s-rt-%d-Zq7XbW3Kp9Lm2Vn8-SECRET", s.prefix, n)
}

// next issues a refresh token. s.mu is held (or s not shared yet).
func (s *Server) next() string {
	s.issued++
	return s.rt(s.issued)
}

// serve answers a refresh_token grant (RFC 6749 §6): a valid refresh
// token is spent and a new one issued with the access token; anything
// else is invalid_grant (RFC 6749 §5.2).
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil || r.PostForm.Get("grant_type") != "refresh_token" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request"})
		return
	}
	rt := r.PostForm.Get("refresh_token")
	s.mu.Lock()
	s.used = append(s.used, rt)
	ok := s.valid[rt]
	var next string
	if ok {
		delete(s.valid, rt)
		next = s.next()
		s.valid[next] = true
	} else {
		s.refused++
	}
	n := s.issued
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "refresh token spent or unknown"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": fmt.Sprintf("%s-at-%d", s.prefix, n-1), "token_type": "Bearer", "expires_in": 3600, "refresh_token": next,
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
