package transport_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/internal/sourcetest"
	"github.com/tokenplug/tokenplug/transport"
)

// rejectFirstToken answers 401 to tok-1 and 200 to anything else.
func rejectFirstToken(r *http.Request) int {
	if r.Header.Get("Authorization") == "Bearer tok-1" {
		return http.StatusUnauthorized
	}
	return http.StatusOK
}

func always401(*http.Request) int { return http.StatusUnauthorized }

func TestUnauthorizedIsRetriedOnceWithAFreshToken(t *testing.T) {
	rec := newRecorder(t, false, rejectFirstToken)
	src := &sourcetest.Rotating{}
	tr := transport.New(rec.base(t), src, transport.WithHosts("127.0.0.1"))
	req := newRequest(t, "POST", rec.URL, strings.NewReader(`{"q":1}`)) // NewRequest sets GetBody
	if code, _ := do(t, tr, req); code != http.StatusOK {
		t.Fatalf("status %d, want 200 after the retry", code)
	}
	got := rec.seen()
	if len(got) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(got))
	}
	for i, wantAuth := range []string{"Bearer tok-1", "Bearer tok-2"} {
		if got[i].header.Get("Authorization") != wantAuth || got[i].body != `{"q":1}` {
			t.Errorf("request %d: Authorization %q body %q; want %q and the same body", i,
				got[i].header.Get("Authorization"), got[i].body, wantAuth)
		}
	}
	if inv := src.Invalidated(); !slices.Equal(inv, []string{"tok-1"}) {
		t.Errorf("invalidated %v, want [tok-1]", inv)
	}
}

type invalidationLog interface{ Invalidated() []string }

func TestUnauthorizedIsNotRetried(t *testing.T) {
	rotating := func() (transport.TokenSource, invalidationLog) { s := &sourcetest.Rotating{}; return s, s }
	tests := []struct {
		name      string
		status    func(*http.Request) int
		src       func() (transport.TokenSource, invalidationLog)
		body      io.Reader
		wantCalls int      // requests the server sees
		wantInv   []string // tokens invalidated
	}{
		{
			name:   "body cannot be replayed",
			status: rejectFirstToken, src: rotating,
			body:      struct{ io.Reader }{strings.NewReader("once")}, // NewRequest sets no GetBody for it
			wantCalls: 1, wantInv: []string{"tok-1"},                  // so the next request gets a fresh one
		},
		{
			name:   "second 401 after the retry",
			status: always401, src: rotating,
			wantCalls: 2, wantInv: []string{"tok-1"},
		},
		{
			name:      "source cannot invalidate",
			status:    always401,
			src:       func() (transport.TokenSource, invalidationLog) { return sourcetest.Static{Tok: staticToken}, nil },
			wantCalls: 1,
		},
		{
			name:   "source has no other token",
			status: always401,
			src: func() (transport.TokenSource, invalidationLog) {
				s := &sameTokenSource{}
				return transport.FromOAuth2(s), s
			},
			wantCalls: 1, wantInv: []string{"static-token"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, false, tt.status)
			src, log := tt.src()
			code, respBody := do(t, transport.New(rec.base(t), src, transport.WithHosts("127.0.0.1")), newRequest(t, "POST", rec.URL, tt.body))
			if code != http.StatusUnauthorized || respBody != "status 401" {
				t.Errorf("got %d %q, want the server's 401 with its body", code, respBody)
			}
			if n := len(rec.seen()); n != tt.wantCalls {
				t.Errorf("server saw %d requests, want %d", n, tt.wantCalls)
			}
			var inv []string
			if log != nil {
				inv = log.Invalidated()
			}
			if !slices.Equal(inv, tt.wantInv) {
				t.Errorf("invalidated %v, want %v", inv, tt.wantInv)
			}
		})
	}
}

// sameTokenSource is an oauth2.TokenSource that can invalidate but always
// comes back with the same token, like a static key.
type sameTokenSource struct {
	mu  sync.Mutex // guards inv
	inv []string
}

func (s *sameTokenSource) Token() (*oauth2.Token, error) { return staticToken, nil }

func (s *sameTokenSource) Invalidate(rejected *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inv = append(s.inv, rejected.AccessToken)
}

func (s *sameTokenSource) Invalidated() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.inv...)
}
