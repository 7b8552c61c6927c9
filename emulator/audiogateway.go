package emulator

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// Verifier checks a bearer token, returning nil if it is acceptable. *IAM
// and *Azure are Verifiers; so is *Symphony.
// An AudioGateway calls Verify from many goroutines at once.
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
// Before the upgrade it checks, in order: the injected Faults; an
// Authorization: Bearer token the Verifier accepts (else 401 with
// WWW-Authenticate: Bearer); the query parameters skillset and userID (else
// 400 naming the missing one). language is optional (default "en-US").
// After the upgrade it sends one JSON text message
// {"type":"hello","skillset":...,"userID":...,"language":...} and then
// echoes every message back with its type, until the client closes. It
// does not recognise speech or talk to a skill set.
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
	server   loopback

	mu     sync.Mutex // guards closed and wg.Add
	closed bool
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

// Hello is the first message the gateway sends on a session.
type Hello struct {
	Type     string `json:"type"` // "hello"
	Skillset string `json:"skillset"`
	UserID   string `json:"userID"`
	Language string `json:"language"`
}

// ServeHTTP checks and upgrades a session request, then runs the session.
func (g *AudioGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.Faults.apply(w, r) {
		return
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || g.verifier == nil || g.verifier.Verify(tok) != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="audio-gateway"`)
		http.Error(w, "missing or invalid bearer token", http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	hello := Hello{Type: "hello", Skillset: q.Get("skillset"), UserID: q.Get("userID"), Language: q.Get("language")}
	for _, p := range []struct{ name, v string }{{"skillset", hello.Skillset}, {"userID", hello.UserID}} {
		if p.v == "" {
			http.Error(w, "missing query parameter "+p.name, http.StatusBadRequest)
			return
		}
	}
	if hello.Language == "" {
		hello.Language = "en-US"
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
	g.sessions.Add(1)
	g.session(c, hello)
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

// session sends the hello and echoes messages until the client closes the
// session, the connection breaks, or the gateway is closed.
func (g *AudioGateway) session(c *websocket.Conn, hello Hello) {
	c.SetReadLimit(audioReadLimit)
	if err := wsjson.Write(g.ctx, c, hello); err != nil {
		return
	}
	for {
		typ, msg, err := c.Read(g.ctx)
		if err != nil {
			// A close frame from the client has been answered by the
			// library; anything else leaves nothing to say.
			return
		}
		if err := c.Write(g.ctx, typ, msg); err != nil {
			return
		}
	}
}
