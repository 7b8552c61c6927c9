package wire

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// Environment variables of the plugin channel's mutual TLS (see
// internal/launch.Identity): the host's certificate, in go-plugin's own
// variable, and the plugin's certificate and key, all PEM.
const (
	EnvHostCert   = "PLUGIN_CLIENT_CERT"
	EnvPluginCert = "TOKENPLUG_PLUGIN_CERT"
	EnvPluginKey  = "TOKENPLUG_PLUGIN_KEY"
)

// ServerTLS returns a plugin's TLS configuration: it presents the
// certificate and key its host made for it and requires a client
// certificate that is exactly the host's (hostPEM).
func ServerTLS(certPEM, keyPEM, hostPEM []byte) (*tls.Config, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
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
