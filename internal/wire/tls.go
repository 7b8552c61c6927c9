package wire

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// Environment variables of the plugin channel's mutual TLS (see
// internal/launch.Identity): the host's certificate (PEM), in go-plugin's
// own variable, and where the plugin's certificate and key are.
const (
	EnvHostCert  = "PLUGIN_CLIENT_CERT"
	EnvPluginTLS = "TOKENPLUG_PLUGIN_TLS"
	// PluginTLSOnStdin, as EnvPluginTLS: the plugin's stdin holds its
	// certificate and key, PEM, then end of file.
	PluginTLSOnStdin = "stdin"
	// MaxPluginTLS bounds what a plugin reads from its stdin for them.
	MaxPluginTLS = 16 << 10
)

// ServerTLS returns a plugin's TLS configuration: it presents the
// certificate and key its host made for it (pair: both, PEM) and requires a
// client certificate that is exactly the host's (hostPEM).
func ServerTLS(pair, hostPEM []byte) (*tls.Config, error) {
	cert, err := tls.X509KeyPair(pair, pair)
	if err != nil {
		return nil, errors.New("tokenplug/plugin: the host's certificate for this plugin does not load")
	}
	hosts := x509.NewCertPool()
	if !hosts.AppendCertsFromPEM(hostPEM) {
		return nil, errors.New("tokenplug/plugin: no host certificate to authenticate the host with")
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    hosts,
		MinVersion:   tls.VersionTLS12, // go-plugin's floor
	}, nil
}
