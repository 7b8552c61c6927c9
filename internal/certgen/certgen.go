// Package certgen makes ECDSA P-256 keys and X.509 certificates for TLS
// between processes on one machine: the host's mutual-TLS identity towards
// its plugins, and the certificates of test servers on 127.0.0.1. The
// caller describes a certificate with a template (names, lifetime and
// usages); certgen adds the key and serial number, signs it and encodes it.
package certgen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// ClockSkew is how far Template backdates NotBefore, so that a peer whose
// clock runs slightly behind still accepts a certificate made a moment ago.
const ClockSkew = time.Minute

// Template returns a template for a certificate named cn, for hosts (DNS
// names or IP addresses), valid from ClockSkew ago until lifetime from now.
// It sets no key usages and is no CA: the caller says what the certificate
// is for.
func Template(cn string, lifetime time.Duration, hosts ...string) *x509.Certificate {
	now := time.Now()
	tmpl := &x509.Certificate{
		Subject:   pkix.Name{CommonName: cn},
		NotBefore: now.Add(-ClockSkew),
		NotAfter:  now.Add(lifetime),
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return tmpl
}

// Cert is a certificate and its private key.
type Cert struct {
	Leaf *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// SelfSigned makes a fresh P-256 key and a certificate for it as tmpl
// describes, signed by that key. When tmpl.SerialNumber is nil it sets it
// to a random one. To be trusted as its own root, tmpl must be a CA
// (BasicConstraintsValid, IsCA and x509.KeyUsageCertSign).
func SelfSigned(tmpl *x509.Certificate) (*Cert, error) {
	return create(tmpl, nil)
}

// Issue makes a fresh P-256 key and a certificate for it as tmpl describes
// (a nil serial number set as SelfSigned sets it), signed by c, which must
// be a CA.
func (c *Cert) Issue(tmpl *x509.Certificate) (*Cert, error) {
	return create(tmpl, c)
}

// create signs a new key's certificate with parent, or with the new key
// itself when parent is nil.
func create(tmpl *x509.Certificate, parent *Cert) (*Cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("certgen: generate key: %w", err)
	}
	if tmpl.SerialNumber == nil {
		// 128 random bits: RFC 5280 asks for unique serials of at most 20 octets.
		if tmpl.SerialNumber, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128)); err != nil {
			return nil, fmt.Errorf("certgen: serial number: %w", err)
		}
	}
	issuer, signer := tmpl, key
	if parent != nil {
		issuer, signer = parent.Leaf, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("certgen: create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certgen: parse certificate: %w", err)
	}
	return &Cert{Leaf: leaf, Key: key}, nil
}

// CertPEM returns the certificate, PEM-encoded.
func (c *Cert) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Leaf.Raw})
}

// KeyPEM returns the private key, PEM-encoded as an "EC PRIVATE KEY"
// (SEC 1), which crypto/tls and OpenSSL both read.
func (c *Cert) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(c.Key)
	if err != nil {
		return nil, fmt.Errorf("certgen: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// TLS returns the certificate and key for a tls.Config.
func (c *Cert) TLS() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{c.Leaf.Raw}, PrivateKey: c.Key, Leaf: c.Leaf}
}

// Pool returns a pool that trusts c, and so what c signs, and nothing else.
func (c *Cert) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(c.Leaf)
	return pool
}
