package voicegain_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
	"github.com/tokenplug/tokenplug/plugins/voicegain"
)

// shortLived configures mode short_lived against apiURL with client.
func shortLived(t *testing.T, client *http.Client, console, apiURL string) oauth2.TokenSource {
	t.Helper()
	return plugintest.MustConfigure(t, voicegain.Provider{Client: client},
		map[string]string{"jwt": console, "mode": "short_lived", "api_url": apiURL, "audience": "*"})
}

// plainTrap is a plain-http origin that counts requests carrying a bearer.
func plainTrap(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestTheConsoleJWTNeverFollowsAnHTTPSToHTTPRedirect(t *testing.T) {
	console := signedJWT(t, jwt.MapClaims{"sub": "console"})
	plain, hits := plainTrap(t)
	// Same host (127.0.0.1), scheme https -> http: net/http keeps
	// Authorization, because only the host name is compared.
	secure := httptest.NewTLSServer(http.RedirectHandler(plain.URL+"/v1/security/jwt", http.StatusFound))
	defer secure.Close()
	_, err := shortLived(t, secure.Client(), console, secure.URL+"/v1").Token()
	if !errors.Is(err, plugin.ErrCrossOriginRedirect) || !errors.Is(err, plugin.ErrPermanent) {
		t.Fatalf("err = %v, want a permanent cross-origin redirect error", err)
	}
	if plugintest.ContainsPart(err.Error(), console) || hits.Load() != 0 {
		t.Errorf("err %q; the http origin received %d requests", err, hits.Load())
	}
}

func TestShortLivedLifetimeIsAnchoredToTheLocalClock(t *testing.T) {
	vg := emulator.NewVoicegain()
	vg.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) } // Voicegain's clock is 2 h behind
	srv := newServer(vg)
	defer srv.Close()
	ts := shortLived(t, nil, vg.ConsoleJWT(), srv.URL+"/v1")
	before := time.Now()
	tok, err := ts.Token()
	after := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if tok.Expiry.Before(before.Add(voicegain.DefaultLifetime-time.Second)) || tok.Expiry.After(after.Add(voicegain.DefaultLifetime)) {
		t.Errorf("expiry %v, want about now + %v", tok.Expiry, voicegain.DefaultLifetime)
	}
}
