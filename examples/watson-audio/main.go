// Command watson-audio opens a session on a Watson audio gateway, a
// websocket endpoint that wants an IBM Cloud IAM bearer token, with the token
// put on the upgrade request by tokenplug: a host.Registry runs the iam
// provider plugin, and transport.New puts its token on the websocket
// client's requests.
//
// It connects exactly as the gateway's authentication page shows:
// wss://<host>[:port]?skillset=<s>&userID=<u>&language=<l>, with
// "Authorization: Bearer <IAM token>" on the upgrade request, and then
// streams audio at once. The gateway sends no greeting, so the example
// waits for none; it streams its audio and closes the session cleanly.
//
// By default it needs no network and no credentials: it starts an IBM IAM
// emulator and an audio gateway emulator on 127.0.0.1, and runs the iam
// provider by re-executing itself as the plugin.
//
//	go run ./examples/watson-audio -skillset banking -user u-42 -language en-US
//
// Against real endpoints, pass the gateway's URL and put the API key in
// IBM_APIKEY (never on the command line, where ps shows it):
//
//	IBM_APIKEY=... go run ./examples/watson-audio -gateway wss://gateway.example:443
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugins/iam"
	"github.com/tokenplug/tokenplug/transport"
)

// servePluginArg, as the only argument, makes this program serve the iam
// provider: the registry re-executes the program that way (host.WithBuiltin),
// so the example needs no separately built tokenplug-iam binary.
const servePluginArg = "serve-iam-plugin"

// chunk is 100 ms of 16 kHz 16-bit mono silence, a typical audio frame.
var chunk = make([]byte, 16000*2/10)

// chunks is how many chunks a session streams: half a second of audio.
const chunks = 5

type config struct {
	skillset, user, language string
	gateway, tokenURL        string
	apikey                   string
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == servePluginArg {
		plugin.Serve(iam.New())
		return
	}
	var cfg config
	flag.StringVar(&cfg.skillset, "skillset", "demo", "skill set to stream to")
	flag.StringVar(&cfg.user, "user", "demo-user", "user id")
	flag.StringVar(&cfg.language, "language", "en-US", "audio language")
	flag.StringVar(&cfg.gateway, "gateway", "", "wss://<host>[:port] of an audio gateway (ws:// to loopback); empty starts local emulators")
	flag.StringVar(&cfg.tokenURL, "token-url", iam.DefaultTokenURL, "IAM token endpoint (with -gateway)")
	flag.Parse()
	cfg.apikey = os.Getenv("IBM_APIKEY")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "watson-audio:", err)
		os.Exit(1)
	}
}

// run opens one session, streams audio and closes the session cleanly.
func run(ctx context.Context, cfg config, out io.Writer) error {
	if cfg.gateway == "" {
		stop := startEmulators(&cfg)
		defer stop()
		fmt.Fprintln(out, "started IAM emulator and audio gateway on 127.0.0.1")
	}
	if cfg.apikey == "" {
		return errors.New("set IBM_APIKEY to an IBM Cloud API key")
	}
	gw, err := url.Parse(cfg.gateway)
	if err != nil || (gw.Scheme != "ws" && gw.Scheme != "wss") || gw.Host == "" {
		return fmt.Errorf("-gateway must be a ws:// or wss:// URL")
	}

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	reg := host.NewRegistry(host.WithBuiltin("iam", exe, servePluginArg), host.WithLogger(logger))
	defer reg.Close()
	err = reg.Register("watson", host.ProviderConfig{
		Plugin:   "iam",
		Hosts:    []string{gw.Host}, // the token goes to the gateway and nowhere else
		Settings: map[string]string{"apikey": cfg.apikey, "token_url": cfg.tokenURL},
	})
	if err != nil {
		return err
	}
	src, err := reg.Source("watson")
	if err != nil {
		return err
	}
	client := &http.Client{Transport: transport.New(nil, src)}
	return session(ctx, client, sessionURL(gw, cfg), out)
}

// sessionURL is the gateway's URL with the session's parameters in the
// query, as the gateway's authentication page shows it:
// wss://<host>[:port]?skillset=..&userID=..&language=.. (a path the user
// gave is kept).
func sessionURL(gw *url.URL, cfg config) string {
	u := *gw
	q := u.Query()
	q.Set("skillset", cfg.skillset)
	q.Set("userID", cfg.user)
	q.Set("language", cfg.language)
	u.RawQuery = q.Encode()
	return u.String()
}

// session dials the gateway with client, whose transport adds the token,
// streams audio at once and closes the session. It reads nothing before
// streaming: the gateway sends no greeting. What the gateway answers is
// read (and discarded) by the closing handshake.
func session(ctx context.Context, client *http.Client, wsURL string, out io.Writer) error {
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		return fmt.Errorf("dial audio gateway: %w", err)
	}
	defer c.CloseNow()
	fmt.Fprintln(out, "session open")
	for range chunks {
		if err := c.Write(ctx, websocket.MessageBinary, chunk); err != nil {
			return fmt.Errorf("send audio: %w", err)
		}
	}
	fmt.Fprintf(out, "sent %d bytes of audio\n", chunks*len(chunk))
	return c.Close(websocket.StatusNormalClosure, "done")
}

// startEmulators runs an IAM emulator and an audio gateway that trusts it on
// 127.0.0.1, points cfg at them with a fresh demo API key, and returns a
// function that stops both.
func startEmulators(cfg *config) (stop func()) {
	idp := emulator.StartIAM()
	cfg.apikey = "demo-" + fmt.Sprint(time.Now().UnixNano()) // a throwaway key only the emulator knows
	idp.AddAPIKey(cfg.apikey)
	gw := emulator.StartAudioGateway(idp)
	cfg.tokenURL = idp.URL // a base URL: the iam provider appends /identity/token
	cfg.gateway = "ws" + strings.TrimPrefix(gw.URL, "http")
	return func() {
		gw.Close() // ends open sessions, then stops its server
		idp.Close()
	}
}
