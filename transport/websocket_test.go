package transport_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tokenplug/tokenplug/internal/sourcetest"
	"github.com/tokenplug/tokenplug/transport"
)

func TestWebsocketUpgradeCarriesToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if auth != "Bearer tok-1" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		// Echo the header back, so the client sees what the upgrade carried.
		if err := c.Write(r.Context(), websocket.MessageText, []byte(auth)); err != nil {
			return
		}
		c.Read(r.Context()) // until the client closes
	}))
	defer srv.Close()
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	tr := transport.New(base, &sourcetest.Rotating{}, transport.WithHosts(srv.Listener.Addr().String()))

	// A bound on the whole exchange, so a broken upgrade fails instead of hanging.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: tr},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.CloseNow()
	_, msg, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if string(msg) != "Bearer tok-1" {
		t.Errorf("upgrade request carried Authorization %q, want %q", msg, "Bearer tok-1")
	}
	if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Errorf("close: %v", err)
	}
}
