package azure

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

// Whatever a certificate file holds, certificateCredential returns a key
// with a 43-character x5t#S256 or an error quoting no key material; never
// a panic.
func FuzzCertificateCredential(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fuzz"}, NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	f.Add(append(append([]byte{}, certPEM...), keyPEM...))
	f.Add(append(append([]byte{}, keyPEM...), certPEM...))
	f.Add(keyPEM)
	f.Add(certPEM)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	keyBody := strings.Split(string(keyPEM), "\n")[1]
	f.Fuzz(func(t *testing.T, data []byte) {
		k, x5t, err := certificateCredential(data)
		switch {
		case err != nil && strings.Contains(err.Error(), keyBody):
			t.Fatalf("error quotes the key: %v", err)
		case err == nil && (k == nil || len(x5t) != 43):
			t.Fatalf("key %v, x5t#S256 %q", k, x5t)
		}
	})
}
