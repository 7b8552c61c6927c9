package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/coder/websocket"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/grpccreds"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/transport"
)

// checks lists what the demo shows, one report line each.
func (l *lab) checks() []demoCheck {
	return append([]demoCheck{
		{"symphony", "HTTP", "self-signed RS512 JWT accepted by Symphony Connect",
			l.httpCheck("symphony", http.MethodGet, l.symphonySrv.URL+"/connect/v1/status", nil, `"status":"ok"`)},
		{"voicegain", "HTTP", "console JWT (mode static) accepted by /v1/asr",
			l.httpCheck("voicegain", http.MethodPost, l.voicegainSrv.URL+"/v1/asr/transcribe", nil, `"auth":"console"`)},
		{"voicegain-browser", "HTTP", "short-lived JWT for " + demoAudience + " accepted by /v1/asr",
			l.httpCheck("voicegain-browser", http.MethodPost, l.voicegainSrv.URL+"/v1/asr/transcribe",
				http.Header{"Origin": {"https://" + demoAudience}}, `"auth":"short_lived"`)},
		{"watson", "HTTP", "IBM Cloud IAM token accepted by a Watson API",
			l.httpCheck("watson", http.MethodGet, l.watsonSrv.URL+"/v1/models", nil, `"models"`)},
		{"watson", "websocket", "audio gateway session: audio echoed, clean close", l.websocketCheck},
		{"watson", "gRPC", "health check over TLS with per-RPC IAM credentials", l.grpcCheck},
		{"azure-speech", "HTTP", "issueToken bearer token accepted by a speech endpoint",
			l.httpCheck("azure-speech", http.MethodPost, l.azureSrv.URL+"/speech/recognition", nil, `"Success"`)},
		{"azure-key", "HTTP", emulator.AzureKeyHeader + " accepted by a speech endpoint",
			l.httpCheck("azure-key", http.MethodPost, l.azureSrv.URL+"/speech/recognition", nil, `"Success"`)},
	}, l.oauth.checks(l)...)
}

// client returns an HTTP client whose requests carry provider's token.
func client(reg *host.Registry, provider string) (*http.Client, error) {
	src, err := reg.Source(provider)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: transport.New(nil, src)}, nil
}

// httpCheck sends one request through provider's transport and wants a 200
// whose body contains want.
func (l *lab) httpCheck(provider, method, rawURL string, h http.Header, want string) func(context.Context, *host.Registry) error {
	return func(ctx context.Context, reg *host.Registry) error {
		c, err := client(reg, provider)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
		if err != nil {
			return err
		}
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10)) // the emulators answer a few hundred bytes
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(want)) {
			return fmt.Errorf("%s %s: %s %s", method, req.URL.Path, resp.Status, oneLine(string(body)))
		}
		return nil
	}
}

// audioChunk is 100 ms of 16 kHz 16-bit mono silence, a typical frame.
var audioChunk = make([]byte, 16000*2/10)

// websocketCheck opens an audio gateway session with the watson token on
// the upgrade request, as a real client would.
func (l *lab) websocketCheck(ctx context.Context, reg *host.Registry) error {
	c, err := client(reg, "watson")
	if err != nil {
		return err
	}
	q := url.Values{"skillset": {"demo"}, "userID": {"demo-user"}}
	wsURL := "ws" + strings.TrimPrefix(l.gatewaySrv.URL, "http") + "?" + q.Encode()
	conn, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: c})
	if err != nil {
		return err
	}
	defer conn.CloseNow()
	if err := conn.Write(ctx, websocket.MessageBinary, audioChunk); err != nil {
		return fmt.Errorf("send audio: %w", err)
	}
	if _, echo, err := conn.Read(ctx); err != nil || len(echo) != len(audioChunk) {
		return fmt.Errorf("read echo: %d bytes, %v", len(echo), err)
	}
	return conn.Close(websocket.StatusNormalClosure, "done")
}

// grpcCheck makes one RPC over TLS with the watson token as per-RPC
// credentials.
func (l *lab) grpcCheck(ctx context.Context, reg *host.Registry) error {
	src, err := reg.Source("watson")
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient(l.grpc.Addr(),
		grpc.WithTransportCredentials(l.grpc.ClientCredentials()),
		grpc.WithPerRPCCredentials(grpccreds.New(src)))
	if err != nil {
		return err
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return err
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("health: %v", resp.GetStatus())
	}
	return nil
}
