package grpctest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/tokenplug/tokenplug/internal/certgen"
)

// certLifetime bounds how long a generated certificate is valid. Test servers
// and demos live for seconds; a day leaves room for a slow machine and makes a
// leaked certificate worthless soon.
const certLifetime = 24 * time.Hour

// SelfSignedCert returns a fresh ECDSA P-256 certificate for 127.0.0.1, ::1
// and localhost, and a pool that trusts exactly it. The certificate is its
// own root: a client trusting the pool accepts this server and no other.
func SelfSignedCert() (tls.Certificate, *x509.CertPool, error) {
	tmpl := certgen.Template("tokenplug grpctest", certLifetime, "localhost", "127.0.0.1", "::1")
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	tmpl.BasicConstraintsValid = true
	tmpl.IsCA = true
	cert, err := certgen.SelfSigned(tmpl)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("grpctest: %w", err)
	}
	return cert.TLS(), cert.Pool(), nil
}
