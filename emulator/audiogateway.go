package emulator

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
)

// Verifier checks a bearer token, returning nil if it is acceptable. *IAM
// and *Azure are Verifiers; so is *Symphony.
// An AudioGateway calls Verify from many goroutines at once, and never
// with an empty token: a request without one is refused first.
type Verifier interface {
	Verify(token string) error
}

// audioReadLimit bounds one websocket message: audio arrives in chunks of a
// few kilobytes, and the library's 32 KiB default is too tight for a
// second of 16-bit 16 kHz audio.
const audioReadLimit = 1 << 20

// AudioGateway emulates a Watson audio gateway: a websocket endpoint that
// streams audio to a skill set for a user. Create it with StartAudioGateway,
// or NewAudioGateway to serve it yourself, and call Close when done.
//
// A client connects as the gateway's authentication page shows:
// wss://<host>[:port]?skillset=<s>&userID=<u>&language=<l>, with
// "Authorization: Bearer <IAM token>" on the upgrade request, and then
// streams audio; the gateway sends nothing first, so a client must not
// wait for a greeting. The emulator answers on any path, the root
// included.
//
// Before the upgrade it checks, in order: the injected Faults; an
// Authorization: Bearer token the Verifier accepts (else 401 with
// WWW-Authenticate: Bearer); the query parameters skillset and userID (else
// 400 naming the missing one). language is optional (default "en-US").
// After the upgrade it echoes every message back with its type, until the
// client closes: the echo is the emulator's own, so a test can see its
// audio arrive (the real gateway answers with its skill set's results).
// AudioBytes counts the binary bytes received and LastSession reports the
// parameters of the latest session. It does not recognise speech or talk
// to a skill set.
//
// The methods are safe for concurrent use, also while serving.
type AudioGateway struct {
	// URL is the base URL StartAudioGateway serves on
	// ("http://127.0.0.1:<port>"; any path answers). Dial it with the ws
	// scheme. Empty for a gateway from NewAudioGateway.
	URL string
	// Faults makes the upgrade request fail; it is applied first.
	Faults Faults

	verifier Verifier
	ctx      context.Context // cancelled by Close; bounds every session
	cancel   context.CancelFunc
	sessions atomic.Int64
	audio    atomic.Int64
	server   loopback

	mu     sync.Mutex // guards closed, last and wg.Add
	closed bool
	last   *Session
	wg     sync.WaitGroup // open sessions
}

// NewAudioGateway returns a gateway that admits callers whose bearer token v
// accepts (typically an *IAM emulator).
func NewAudioGateway(v Verifier) *AudioGateway {
	ctx, cancel := context.WithCancel(context.Background())
	return &AudioGateway{verifier: v, ctx: ctx, cancel: cancel}
}

// StartAudioGateway returns a gateway, as NewAudioGateway makes it, already
// serving on a fresh port of 127.0.0.1 at its URL. Call Close when done.
func StartAudioGateway(v Verifier) *AudioGateway {
	g := NewAudioGateway(v)
	g.URL = g.server.start(g)
	return g
}

// Sessions returns how many websocket sessions the gateway has accepted.
func (g *AudioGateway) Sessions() int64 { return g.sessions.Load() }

// Close ends every open session and waits for their handlers to return;
// later upgrade requests get 503. For a gateway from StartAudioGateway it
// then stops the server. httptest.Server.Close does not wait for hijacked
// connections such as websockets, so when you serve a gateway yourself,
// call this too. Calling Close more than once is safe.
func (g *AudioGateway) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.cancel()
	g.wg.Wait()
	g.server.close()
}

// Session is what a client asked for when it opened a session: the query
// parameters of the upgrade request.
type Session struct {
	Skillset string
	UserID   string
	Language string // "en-US" when the client sent none
}

// LastSession returns the parameters of the latest session the gateway
// accepted, and false if it has accepted none.
func (g *AudioGateway) LastSession() (Session, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last == nil {
		return Session{}, false
	}
	return *g.last, true
}

// AudioBytes returns how many bytes of binary messages (audio) the gateway
// has received, over every session.
func (g *AudioGateway) AudioBytes() int64 { return g.audio.Load() }

// ServeHTTP checks and upgrades a session request, then runs the session.
func (g *AudioGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.Faults.apply(w, r) {
		return
	}
	if tok := bearerToken(r); tok == "" || g.verifier == nil || g.verifier.Verify(tok) != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="audio-gateway"`)
		http.Error(w, "missing or invalid bearer token", http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	sess := Session{Skillset: q.Get("skillset"), UserID: q.Get("userID"), Language: q.Get("language")}
	for _, p := range []struct{ name, v string }{{"skillset", sess.Skillset}, {"userID", sess.UserID}} {
		if p.v == "" {
			http.Error(w, "missing query parameter "+p.name, http.StatusBadRequest)
			return
		}
	}
	if sess.Language == "" {
		sess.Language = "en-US"
	}
	if !g.begin() {
		http.Error(w, "gateway closed", http.StatusServiceUnavailable)
		return
	}
	defer g.wg.Done()
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept has already written the response
	}
	defer c.CloseNow()
	g.mu.Lock()
	g.last = &sess
	g.mu.Unlock()
	g.sessions.Add(1)
	g.session(c)
}

// begin registers a session unless the gateway is closed.
func (g *AudioGateway) begin() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.wg.Add(1)
	return true
}

// session echoes messages until the client closes the session, the
// connection breaks, or the gateway is closed. It sends nothing first, as
// the real gateway does not.
func (g *AudioGateway) session(c *websocket.Conn) {
	c.SetReadLimit(audioReadLimit)
	for {
		typ, msg, err := c.Read(g.ctx)
		if err != nil {
			// A close frame from the client has been answered by the
			// library; anything else leaves nothing to say.
			return
		}
		if typ == websocket.MessageBinary {
			g.audio.Add(int64(len(msg)))
		}
		if err := c.Write(g.ctx, typ, msg); err != nil {
			return
		}
	}
}
