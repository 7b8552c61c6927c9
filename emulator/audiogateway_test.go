package emulator_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tokenplug/tokenplug/emulator"
)

// gatewayFixture starts an IAM emulator and an audio gateway that trusts it,
// and returns a valid IAM token.
type gatewayFixture struct {
	ctx   context.Context // ends with the test, or after 10s
	iam   *emulator.IAM
	gw    *emulator.AudioGateway
	ts    *httptest.Server
	token string
}

func newGatewayFixture(t *testing.T) *gatewayFixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	f := &gatewayFixture{ctx: ctx, iam: emulator.NewIAM()}
	f.iam.AddAPIKey(iamTestKey)
	f.gw = emulator.NewAudioGateway(f.iam)
	mux := http.NewServeMux()
	mux.Handle("/identity/token", f.iam)
	mux.Handle("/", f.gw) // the seed's URL has no path
	f.ts = httptest.NewServer(mux)
	t.Cleanup(func() { f.gw.Close(); f.ts.Close() })
	_, body := iamPost(t, f.ts, iamForm(iamTestKey), nil)
	f.token = iamAccessToken(t, body)
	return f
}

func (f *gatewayFixture) dial(ctx context.Context, query, auth string) (*websocket.Conn, *http.Response, error) {
	h := http.Header{}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	u := "ws" + strings.TrimPrefix(f.ts.URL, "http") + "?" + query
	return websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: f.ts.Client(), HTTPHeader: h})
}

// open opens a session with the fixture's token. The connection is
// dropped when the test ends.
func (f *gatewayFixture) open(ctx context.Context, t *testing.T, query string) *websocket.Conn {
	t.Helper()
	c, _, err := f.dial(ctx, query, "Bearer "+f.token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// The seed's client connects to wss://<host>[:port]?skillset=..&userID=..
// &language=.. with the IAM token on the upgrade and streams audio at
// once: the gateway sends nothing first.
func TestAudioGatewayTakesAudioAtOnceWithoutAGreeting(t *testing.T) {
	f := newGatewayFixture(t)
	ctx := f.ctx

	c := f.open(ctx, t, "skillset=banking&userID=u-42&language=fr-FR")
	audio := []byte{0, 1, 2, 0xff}
	for range 3 { // streamed without reading anything first
		if err := c.Write(ctx, websocket.MessageBinary, audio); err != nil {
			t.Fatal(err)
		}
	}
	// The first message from the gateway is the echo, not a greeting.
	typ, got, err := c.Read(ctx)
	if err != nil || typ != websocket.MessageBinary || string(got) != string(audio) {
		t.Errorf("first message = %v %q %v, want the echoed audio", typ, got, err)
	}
	if err := c.Close(websocket.StatusNormalClosure, "done"); err != nil {
		t.Errorf("clean close: %v", err)
	}
	if f.gw.Sessions() != 1 || f.gw.AudioBytes() != int64(3*len(audio)) {
		t.Errorf("Sessions() = %d, AudioBytes() = %d, want 1, %d", f.gw.Sessions(), f.gw.AudioBytes(), 3*len(audio))
	}
	want := emulator.Session{Skillset: "banking", UserID: "u-42", Language: "fr-FR"}
	if got, ok := f.gw.LastSession(); !ok || got != want {
		t.Errorf("LastSession() = %+v %v, want %+v", got, ok, want)
	}
}

func TestAudioGatewayDefaultsLanguage(t *testing.T) {
	f := newGatewayFixture(t)
	ctx := f.ctx
	c := f.open(ctx, t, "skillset=s&userID=u")
	_ = c.Close(websocket.StatusNormalClosure, "")
	if s, _ := f.gw.LastSession(); s.Language != "en-US" {
		t.Errorf("session %+v, want language en-US", s)
	}
}

func TestAudioGatewayRefusesTheUpgrade(t *testing.T) {
	f := newGatewayFixture(t)
	ok := url.Values{"skillset": {"s"}, "userID": {"u"}}
	tests := []struct {
		name, query, auth string
		status            int
		mention           string
	}{
		{"without a token", ok.Encode(), "", 401, "bearer"},
		{"with a token IAM did not issue", ok.Encode(), "Bearer abc.def.ghi", 401, "bearer"},
		{"with the API key instead of a token", ok.Encode(), "Bearer " + iamTestKey, 401, "bearer"},
		{"with basic auth", ok.Encode(), "Basic " + f.token, 401, "bearer"},
		{"without skillset", "userID=u", "Bearer " + f.token, 400, "skillset"},
		{"without userID", "skillset=s", "Bearer " + f.token, 400, "userID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, resp, err := f.dial(f.ctx, tt.query, tt.auth)
			if err == nil {
				c.CloseNow()
				t.Fatal("upgrade succeeded")
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("resp %v err %v, want status %d", resp, err, tt.status)
			}
			body, _ := io.ReadAll(resp.Body)
			if !strings.Contains(strings.ToLower(string(body)), strings.ToLower(tt.mention)) {
				t.Errorf("body %q does not mention %q", body, tt.mention)
			}
		})
	}
	if f.gw.Sessions() != 0 {
		t.Errorf("Sessions() = %d", f.gw.Sessions())
	}
}

func TestAudioGatewayCloseEndsOpenSessions(t *testing.T) {
	f := newGatewayFixture(t)
	ctx := f.ctx
	c := f.open(ctx, t, "skillset=s&userID=u")
	f.gw.Close() // must return although the client never closes
	if _, _, err := c.Read(ctx); err == nil {
		t.Error("session still open after Close")
	}
	_, resp, err := f.dial(ctx, "skillset=s&userID=u", "Bearer "+f.token)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after Close: %v %v, want 503", resp, err)
	}
}

// verifierFunc adapts a function to emulator.Verifier.
type verifierFunc func(token string) error

func (f verifierFunc) Verify(token string) error { return f(token) }

// The gateway reads the bearer token as RFC 6750 writes it ("Bearer",
// in any case, then one or more spaces), and never asks its Verifier
// about an empty token: a request without one is refused even by a
// Verifier that would accept anything.
func TestAudioGatewayAsksItsVerifierOnlyAboutABearerToken(t *testing.T) {
	asked := make(chan string, 1) // what Verify was asked about, one request at a time
	gw := emulator.NewAudioGateway(verifierFunc(func(tok string) error {
		asked <- tok
		return nil
	}))
	ts := httptest.NewServer(gw)
	defer ts.Close()
	defer gw.Close()
	for _, tt := range []struct{ auth, asked string }{ // asked "": refused unasked
		{"Bearer tok-1", "tok-1"},
		{"bearer  tok-2", "tok-2"},
		{"Bearer", ""},
		{"Bearer ", ""},
		{"Basic dG9rOg==", ""},
	} {
		status, _, body := do(t, ts, http.MethodGet, "/?skillset=s&userID=u", nil, func(r *http.Request) {
			r.Header.Set("Authorization", tt.auth)
		})
		got := "(not asked)"
		select {
		case got = <-asked:
		default:
		}
		switch {
		case tt.asked == "" && (status != http.StatusUnauthorized || got != "(not asked)"):
			t.Errorf("%q: status %d %s, Verify asked about %q; want 401 unasked", tt.auth, status, body, got)
		case tt.asked != "" && (status == http.StatusUnauthorized || got != tt.asked):
			// Admitted, the request fails later: it is no websocket upgrade.
			t.Errorf("%q: status %d %s, Verify asked about %q; want %q admitted", tt.auth, status, body, got, tt.asked)
		}
	}
}
