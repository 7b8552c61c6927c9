package plugin

import (
	"crypto/tls"
	"errors"
	"io"
	"os"

	"github.com/tokenplug/tokenplug/internal/wire"
)

// channelTLS is go-plugin's TLSProvider for Serve: the plugin serves with
// the certificate and key its host made for it, read from stdin, and
// accepts only the host's certificate (see internal/launch.Identity).
// Without them (a host that predates this, using go-plugin's AutoMTLS) it
// returns nil and go-plugin makes a certificate of its own.
func channelTLS() (*tls.Config, error) {
	if os.Getenv(wire.EnvPluginTLS) != wire.PluginTLSOnStdin {
		return nil, nil
	}
	pair, err := io.ReadAll(io.LimitReader(os.Stdin, wire.MaxPluginTLS))
	if err != nil {
		return nil, errors.New("tokenplug/plugin: read the channel certificate from stdin: " + err.Error())
	}
	return wire.ServerTLS(pair, []byte(os.Getenv(wire.EnvHostCert)))
}
