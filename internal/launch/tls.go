package launch

import (
	"crypto/tls"
	"crypto/x509"
	"sync"
	"time"

	"github.com/tokenplug/tokenplug/internal/certgen"
	"github.com/tokenplug/tokenplug/internal/wire"
)

// The plugin channel is mutual TLS, as go-plugin's AutoMTLS makes it, but
// without its cost: AutoMTLS makes a fresh P-521 key and certificate on
// each side for every start, and P-521 is slow. Here the host makes one
// P-256 certificate per Identity (per Registry) and, for each start, a
// P-256 certificate for the plugin, handed over with its key on the
// plugin's stdin (a pipe that holds nothing else and that plugin.Serve
// reads to its end before serving), the host's certificate in go-plugin's
// PLUGIN_CLIENT_CERT. The plugin
// (plugin.Serve, through go-plugin's TLSProvider) serves with that
// certificate and accepts only the host's; the host accepts only that
// certificate. A plugin built with an SDK that predates this ignores its
// certificate and answers as under AutoMTLS: it makes its own and sends it
// in the handshake, and go-plugin pins that one instead.

// serverName is the name both certificates carry, as under AutoMTLS.
const serverName = "localhost"

// Identity is a host's TLS identity towards the plugins it starts: one key
// and self-signed certificate, made on first use. Its zero value is ready;
// it is safe for concurrent use.
type Identity struct {
	once sync.Once
	cert tls.Certificate
	pem  []byte // the certificate, for PLUGIN_CLIENT_CERT
	err  error
}

func (id *Identity) load() error {
	id.once.Do(func() {
		var key []byte
		if id.pem, key, id.err = newCert(); id.err == nil {
			id.cert, id.err = tls.X509KeyPair(id.pem, key)
		}
	})
	return id.err
}

// channel returns what one plugin start needs: the environment that gives
// the plugin the host's certificate and says its own is on stdin, what its
// stdin holds (its certificate and key, PEM), and the host's TLS
// configuration, which accepts only that plugin certificate (or the one
// an older plugin sends in the handshake).
func (id *Identity) channel() (env []string, stdin []byte, cfg *tls.Config, err error) {
	if err := id.load(); err != nil {
		return nil, nil, nil, err
	}
	certPEM, keyPEM, err := newCert()
	if err != nil {
		return nil, nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	env = []string{wire.EnvHostCert + "=" + string(id.pem), wire.EnvPluginTLS + "=" + wire.PluginTLSOnStdin}
	return env, append(certPEM, keyPEM...), &tls.Config{
		Certificates: []tls.Certificate{id.cert},
		RootCAs:      pool,
		ServerName:   serverName,
		MinVersion:   tls.VersionTLS12, // go-plugin's floor: an older plugin may offer no more
	}, nil
}

// newCert makes a P-256 key and a self-signed certificate for it, usable
// by either end of the channel, both in PEM.
func newCert() (certPEM, keyPEM []byte, err error) {
	tmpl := certgen.Template(serverName, 100*365*24*time.Hour, serverName) // as long as a host may run
	tmpl.Subject.Organization = []string{"tokenplug"}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign
	tmpl.BasicConstraintsValid = true
	tmpl.IsCA = true // self-signed: each side trusts exactly the other's
	cert, err := certgen.SelfSigned(tmpl)
	if err != nil {
		return nil, nil, err
	}
	if keyPEM, err = cert.KeyPEM(); err != nil {
		return nil, nil, err
	}
	return cert.CertPEM(), keyPEM, nil
}
