package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/emulator"
	"github.com/tokenplug/tokenplug/transport"
)

// demo starts vendor emulators on 127.0.0.1 and shows each provider's token
// being fetched by its plugin and accepted by the emulated service.
func demo(ctx context.Context, out io.Writer) error {
	opts, err := builtinOptions()
	if err != nil {
		return err
	}
	opts = append(opts, host.WithLogger(slog.New(slog.DiscardHandler)))
	reg := host.NewRegistry(opts...)
	defer reg.Close()

	fmt.Fprintln(out, "tokenplug demo: every vendor is emulated on 127.0.0.1; no network, no secrets")
	return demoSymphony(ctx, out, reg)
}

func demoSymphony(ctx context.Context, out io.Writer, reg *host.Registry) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	verifier := emulator.NewSymphony()
	verifier.Register("demo-customer", &key.PublicKey)
	srv := httptest.NewServer(verifier)
	defer srv.Close()

	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	err = reg.Register("symphony", host.ProviderConfig{
		Plugin:   "symphony",
		Hosts:    []string{"127.0.0.1"},
		Settings: map[string]string{"private_key": string(keyPEM), "public_key_name": "demo-customer"},
	})
	if err != nil {
		return err
	}
	src, err := reg.Source("symphony")
	if err != nil {
		return err
	}
	client := &http.Client{Transport: transport.New(nil, src), Timeout: 10 * time.Second}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/connect/v1/status", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("symphony: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("symphony: emulated Symphony Connect answered %s", resp.Status)
	}
	fmt.Fprintf(out, "  %-10s RS512 JWT signed by the plugin, verified by emulated Symphony Connect: %s (%v)\n",
		"symphony", resp.Status, time.Since(start).Round(time.Millisecond))
	return nil
}
