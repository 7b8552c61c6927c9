package plugin

import (
	"crypto/tls"
	"os"

	"github.com/tokenplug/tokenplug/internal/wire"
)

// channelTLS is go-plugin's TLSProvider for Serve: the plugin serves with
// the certificate and key its host made for it and accepts only the host's
// certificate (see internal/launch.Identity). Both arrive in the
// environment, which it then clears, so that nothing the plugin starts
// inherits the key. Without them (a host that predates this, using
// go-plugin's AutoMTLS) it returns nil and go-plugin makes a certificate
// of its own.
func channelTLS() (*tls.Config, error) {
	certPEM, keyPEM, hostPEM := os.Getenv(wire.EnvPluginCert), os.Getenv(wire.EnvPluginKey), os.Getenv(wire.EnvHostCert)
	for _, k := range []string{wire.EnvPluginCert, wire.EnvPluginKey} {
		_ = os.Unsetenv(k)
	}
	if certPEM == "" || keyPEM == "" {
		return nil, nil
	}
	return wire.ServerTLS([]byte(certPEM), []byte(keyPEM), []byte(hostPEM))
}
