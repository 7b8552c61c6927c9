package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugins/iam"
)

func TestMain(m *testing.M) {
	// The registry re-executes this test binary as the iam plugin.
	if len(os.Args) == 2 && os.Args[1] == servePluginArg {
		plugin.Serve(iam.New())
		return
	}
	goleak.VerifyTestMain(m)
}

func TestTheExampleStreamsThroughTheEmulatedGateway(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, config{skillset: "banking", user: "u-42", language: "fr-FR"}, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{"session open", "sent 16000 bytes of audio"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// The example connects as the gateway's authentication page shows:
// wss://<host>[:port]?skillset=..&userID=..&language=.., no path, the IAM
// token on the upgrade; then it streams audio without waiting for a
// greeting (the emulated gateway sends none, so waiting would stall).
func TestTheExampleConnectsAsTheSeedShows(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	idp := emulator.StartIAM()
	defer idp.Close()
	idp.AddAPIKey("test-apikey")
	gw := emulator.NewAudioGateway(idp)
	var (
		mu    sync.Mutex
		paths []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		gw.ServeHTTP(w, r)
	}))
	defer srv.Close()
	defer gw.Close()

	cfg := config{skillset: "banking", user: "u-42", language: "fr-FR", apikey: "test-apikey",
		gateway: "ws" + strings.TrimPrefix(srv.URL, "http"), tokenURL: idp.URL}
	if err := run(ctx, cfg, io.Discard); err != nil {
		t.Fatalf("run: %v", err)
	}
	want := emulator.Session{Skillset: "banking", UserID: "u-42", Language: "fr-FR"}
	if got, ok := gw.LastSession(); !ok || got != want {
		t.Errorf("session %+v, want %+v", got, want)
	}
	if gw.AudioBytes() != int64(chunks*len(chunk)) {
		t.Errorf("gateway received %d bytes of audio, want %d", gw.AudioBytes(), chunks*len(chunk))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 1 || paths[0] != "/" {
		t.Errorf("upgrade paths %q, want one to / (the seed's URL has no path)", paths)
	}
}

func TestSessionURLKeepsTheGatewayAndAddsTheParameters(t *testing.T) {
	gw, _ := url.Parse("wss://gateway.example:8443")
	got := sessionURL(gw, config{skillset: "s k", user: "u&1", language: "en-US"})
	if want := "wss://gateway.example:8443?language=en-US&skillset=s+k&userID=u%261"; got != want {
		t.Errorf("sessionURL = %s, want %s", got, want)
	}
}

func TestTheExampleRefusesANonWebsocketGateway(t *testing.T) {
	err := run(context.Background(), config{gateway: "https://gateway.example", apikey: "k"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "-gateway") {
		t.Errorf("run = %v, want an error about -gateway", err)
	}
}
