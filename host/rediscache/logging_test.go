package rediscache_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/host/rediscache"
	"github.com/tokenplug/tokenplug/internal/syncbuf"
)

// go-redis writes a failed dial to stderr through its process-wide logger;
// the cache routes those lines to its Logger instead, so they reach the
// application's slog handler.
func TestGoRedisDialErrorsReachTheCacheLogger(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: every dial is refused
	var logs syncbuf.Buffer
	c, err := rediscache.New(rediscache.Config{
		URL: "redis://" + addr, EncryptionKey: validKey,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fetch := func(context.Context) (*oauth2.Token, error) { return &oauth2.Token{AccessToken: "local"}, nil }
	if tok, err := c.Token(context.Background(), "k", "", fetch); err != nil || tok.AccessToken != "local" {
		t.Fatalf("Token with Redis down = %v, %v; want the local fetch", tok, err)
	}
	if out := logs.String(); !strings.Contains(out, "tokenplug/rediscache: go-redis: ") || !strings.Contains(out, "dial") {
		t.Errorf("the cache's logger got no go-redis dial line:\n%s", out)
	}
}
