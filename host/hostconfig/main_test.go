package hostconfig_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"testing"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/hostconfig"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

func TestMain(m *testing.M) {
	testbin.Main(m, testbin.Plugins("symphony", "iam", "exec"))
}

var symphonyKey, _ = rsa.GenerateKey(rand.Reader, 2048)

func symphonySettings() map[string]string {
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(symphonyKey)})
	return map[string]string{"private_key": string(pemKey), "public_key_name": "acme"}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newRegistry is cfg.NewRegistry with logs discarded, closed when the
// test ends.
func newRegistry(t *testing.T, cfg *hostconfig.Config) *host.Registry {
	t.Helper()
	reg, err := cfg.NewRegistry(host.WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
