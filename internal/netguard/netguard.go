// Package netguard keeps the conformance kit's runs on loopback. The
// plugin SDK's HTTP clients dial through Dial; while the kit watches
// (Watch), a dial to anything but a loopback address or localhost is
// refused before any name is looked up, and the kit reports the address
// the provider tried. Only the kit (plugin/plugintest) starts a watch: the
// package is internal, so no program can turn the guard on, and the guard
// can only refuse, never allow, a connection.
package netguard

import (
	"context"
	"net"
	"strings"
	"sync"
)

// DialFunc is the signature of net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// RefusedError is the error of a dial the guard refused.
type RefusedError struct{ Addr string }

// Error names the address, which has no path or query.
func (e *RefusedError) Error() string {
	return "tokenplug/plugintest: dial " + e.Addr + " refused: the conformance kit lets providers reach loopback only"
}

var (
	mu       sync.Mutex // guards watchers
	watchers = map[*Watcher]bool{}
)

// Watcher records the addresses refused while it watches, and what clients
// wrote to the loopback connections they opened meanwhile (so the kit can
// see the requests a provider sent).
type Watcher struct {
	mu      sync.Mutex // guards refused and written
	refused []string
	written []*capture
}

// maxCapture bounds what a Watcher keeps of one connection.
const maxCapture = 1 << 20

// capture is what a client wrote to one connection, up to maxCapture.
type capture struct {
	mu  sync.Mutex // guards buf
	buf []byte
}

func (c *capture) Write(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := maxCapture - len(c.buf); n > 0 {
		c.buf = append(c.buf, p[:min(n, len(p))]...)
	}
}

// Written returns what clients wrote to each loopback connection opened
// during the watch.
func (w *Watcher) Written() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([][]byte, len(w.written))
	for i, c := range w.written {
		c.mu.Lock()
		out[i] = append([]byte(nil), c.buf...)
		c.mu.Unlock()
	}
	return out
}

// teeConn copies what is written to a connection into captures.
type teeConn struct {
	net.Conn
	to []*capture
}

func (c *teeConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	for _, t := range c.to {
		t.Write(p[:n])
	}
	return n, err
}

// Watch starts refusing dials that do not stay on loopback, until Stop.
func Watch() *Watcher {
	w := &Watcher{}
	mu.Lock()
	watchers[w] = true
	mu.Unlock()
	return w
}

// Stop ends w's watch.
func (w *Watcher) Stop() {
	mu.Lock()
	delete(watchers, w)
	mu.Unlock()
}

// Take returns the addresses refused since the last Take.
func (w *Watcher) Take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.refused
	w.refused = nil
	return out
}

func (w *Watcher) add(addr string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.refused = append(w.refused, addr)
}

// Dial returns next, refusing while a Watcher watches any address that is
// not loopback.
func Dial(next DialFunc) DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		var to []*capture
		for w := range watchers {
			if !Loopback(addr) {
				w.add(addr)
				continue
			}
			c := &capture{}
			w.mu.Lock()
			w.written = append(w.written, c)
			w.mu.Unlock()
			to = append(to, c)
		}
		watched := len(watchers) > 0
		mu.Unlock()
		if watched && !Loopback(addr) {
			return nil, &RefusedError{Addr: addr}
		}
		conn, err := next(ctx, network, addr)
		if err != nil || len(to) == 0 {
			return conn, err
		}
		return &teeConn{Conn: conn, to: to}, nil
	}
}

// Restrict returns next, always refusing an address that is not loopback
// and passing it to refused first.
func Restrict(next DialFunc, refused func(addr string)) DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if !Loopback(addr) {
			refused(addr)
			return nil, &RefusedError{Addr: addr}
		}
		return next(ctx, network, addr)
	}
}

// Loopback reports whether addr (host:port) is localhost or a loopback IP
// address, judged without looking the name up.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
