package host_test

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/transport"
)

// The walking skeleton, end to end: the symphony plugin binary signs a JWT,
// the host launches and caches it, the transport puts it on the request,
// and a server that verifies it as Symphony Connect does accepts it.
func TestEndToEndSymphonyTokenReachesAVerifyingServer(t *testing.T) {
	verifier := emulator.NewSymphony()
	verifier.Register("acme", &symphonyKey.PublicKey)
	srv := httptest.NewServer(verifier)
	defer srv.Close()

	reg, _ := newRegistry(t)
	src := mustSource(t, reg, "sym", host.ProviderConfig{Path: testbin.Path("symphony"), Hosts: []string{"127.0.0.1"}, Settings: symphonySettings()})
	client := &http.Client{Transport: transport.New(nil, src)}

	resp, err := client.Get(srv.URL + "/v1/anything")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("verifying server answered %s", resp.Status)
	}
	if verifier.Accepted() != 1 {
		t.Fatalf("verifier accepted %d tokens, want 1", verifier.Accepted())
	}

	// A token signed with a key the server does not know is refused.
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	stranger := emulator.NewSymphony()
	stranger.Register("acme", &otherKey.PublicKey)
	srv2 := httptest.NewServer(stranger)
	defer srv2.Close()
	resp, err = client.Get(srv2.URL + "/v1/anything")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("server with another key answered %s, want 401", resp.Status)
	}
}
