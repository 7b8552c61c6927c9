// Package redistest runs a real redis-server on a free 127.0.0.1 port for
// tests, stopped when the test ends.
package redistest

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server process that can be killed and started again
// on the same port.
type Server struct {
	t    testing.TB
	Port int
	cmd  *exec.Cmd
	done chan struct{}

	dir    string      // working directory: replicas write the RDB they receive
	args   []string    // more arguments: a config file first, then options
	ready  string      // the log line that says the server is ready
	scheme string      // redis or rediss
	tls    *tls.Config // for the helpers' own clients; nil without TLS
}

// Start starts redis-server without persistence. It fails the test, not
// skips it, when redis-server is not installed: CI installs it.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, freePort(t))
}

// start starts redis-server on port with args.
func start(t testing.TB, port int, args ...string) *Server {
	t.Helper()
	return startServer(t, &Server{t: t, Port: port, args: args, ready: "Ready to accept connections", scheme: "redis"})
}

// startTLS starts redis-server with TLS only on port with args, its
// certificate signed by ca; with clientCerts it requires a client
// certificate signed by ca.
func startTLS(t testing.TB, ca *CA, clientCerts bool, port int, args ...string) *Server {
	t.Helper()
	args = append(tlsArgs(t, ca, port, clientCerts), args...)
	return startServer(t, &Server{t: t, Port: port, args: args, ready: "Ready to accept connections", scheme: "rediss",
		tls: ca.ClientConfig(t)})
}

// startServer starts s, to be killed when the test ends.
func startServer(t testing.TB, s *Server) *Server {
	t.Helper()
	s.dir = t.TempDir()
	s.Restart()
	t.Cleanup(s.Kill)
	return s
}

// URL is the server's redis:// URL (rediss:// for a TLS server).
func (s *Server) URL() string { return fmt.Sprintf("%s://127.0.0.1:%d/0", s.scheme, s.Port) }

// Addr is host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// TLSConfig is a client TLS configuration that verifies the server; nil
// for a server without TLS.
func (s *Server) TLSConfig() *tls.Config { return s.tls }

// Restart starts the server on its port; it must not be running.
func (s *Server) Restart() {
	s.t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		s.t.Fatalf("redis-server not found on $PATH: the shared-cache tests need it (Debian/Ubuntu: apt-get install redis-server; .ci/run installs it)")
	}
	var args []string
	rest := s.args
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "--") {
		args, rest = append(args, rest[0]), rest[1:] // a config file comes first
	}
	args = append(args, "--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "yes", "--dir", s.dir)
	args = append(args, rest...) // later options override earlier ones
	cmd := exec.Command(path, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	ready := make(chan struct{})
	s.cmd, s.done = cmd, make(chan struct{})
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), s.ready) {
				close(ready)
				break
			}
		}
		for sc.Scan() { // drain so the server never blocks on stdout
		}
		_ = cmd.Wait()
	}()
	select {
	case <-ready:
	case <-s.done:
		s.t.Fatalf("redis-server on port %d exited before it was ready", s.Port)
	case <-time.After(10 * time.Second):
		s.Kill()
		s.t.Fatalf("redis-server on port %d not ready after 10s", s.Port)
	}
}

// Kill stops the server at once (SIGKILL), as a crash would. Idempotent.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// seedURL is a URL of nodes[0] with path, naming the other nodes in addr=
// parameters, as go-redis's ParseClusterURL and ParseFailoverURL read them.
func seedURL(nodes []*Server, path string) string {
	var q []string
	for _, n := range nodes[1:] {
		q = append(q, "addr="+n.Addr())
	}
	return nodes[0].scheme + "://" + nodes[0].Addr() + path + "?" + strings.Join(q, "&")
}

// client is a plain client of srv, for setup checks.
func client(srv *Server) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1, TLSConfig: srv.tls})
}

// replication is srv's INFO replication, "" if it does not answer.
func replication(srv *Server) string {
	rdb := client(srv)
	defer rdb.Close()
	info, _ := rdb.Info(context.Background(), "replication").Result()
	return info
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
