package transport_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/transport"
)

// TestWithARealHostSource runs the Transport on a *host.Source backed by the
// symphony plugin binary (it signs JWTs locally, no network): the source's
// configured hosts scope the Transport, its name is the provider's, and its
// Invalidate makes the 401 retry carry a freshly minted token.
func TestWithARealHostSource(t *testing.T) {
	bin := testbin.Path("symphony")
	keyPEM := newKeyPEM(t)

	var mu sync.Mutex // guards first
	var first string
	api := newRecorder(t, false, func(r *http.Request) int {
		mu.Lock()
		defer mu.Unlock()
		if first == "" {
			first = r.Header.Get("Authorization") // reject the first token, as if revoked
		}
		if r.Header.Get("Authorization") == first {
			return http.StatusUnauthorized
		}
		return http.StatusOK
	})
	other := newRecorder(t, false, nil)

	reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)))
	defer reg.Close()
	err := reg.Register("symphony-api", host.ProviderConfig{
		Path:     bin,
		Hosts:    []string{api.host()},
		Settings: map[string]string{"private_key": keyPEM, "public_key_name": "demo"},
	})
	if err != nil {
		t.Fatal(err)
	}
	src, err := reg.Source("symphony-api")
	if err != nil {
		t.Fatal(err)
	}
	tr := transport.New(api.base(t), src)

	if code, _ := do(t, tr, newRequest(t, "POST", api.URL, strings.NewReader("payload"))); code != http.StatusOK {
		t.Fatalf("status %d, want 200 after the retry", code)
	}
	got := api.seen()
	if len(got) != 2 {
		t.Fatalf("api saw %d requests, want 2", len(got))
	}
	a1, a2 := got[0].header.Get("Authorization"), got[1].header.Get("Authorization")
	if !strings.HasPrefix(a1, "Bearer ey") || !strings.HasPrefix(a2, "Bearer ey") || a1 == a2 || got[1].body != "payload" {
		t.Errorf("want two different JWTs and the body replayed; got %.20q, %.20q, body %q", a1, a2, got[1].body)
	}
	do(t, tr, newRequest(t, "GET", other.URL, nil))
	if h := other.seen()[0].header.Get("Authorization"); h != "" {
		t.Errorf("a host outside the provider's configured hosts got %.20q", h)
	}
}

// newKeyPEM returns a fresh RSA private key in PEM, for the symphony plugin.
func newKeyPEM(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}
