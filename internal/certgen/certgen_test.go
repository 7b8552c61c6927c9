package certgen

import (
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"strings"
	"testing"
	"time"
)

// ca is a self-signed CA for 127.0.0.1, ::1 and localhost, as the test
// servers use.
func ca(t *testing.T) *Cert {
	t.Helper()
	tmpl := Template("test ca", time.Hour, "localhost", "127.0.0.1", "::1")
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign
	c, err := SelfSigned(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTemplateSortsNamesAndBackdatesByTheClockSkew(t *testing.T) {
	before := time.Now()
	tmpl := Template("x", time.Hour, "localhost", "127.0.0.1", "::1", "a.test")
	if got := tmpl.DNSNames; len(got) != 2 || got[0] != "localhost" || got[1] != "a.test" {
		t.Errorf("DNSNames %v", got)
	}
	if got := tmpl.IPAddresses; len(got) != 2 || got[0].String() != "127.0.0.1" || got[1].String() != "::1" {
		t.Errorf("IPAddresses %v", got)
	}
	if tmpl.NotBefore.Before(before.Add(-ClockSkew)) || tmpl.NotBefore.After(time.Now().Add(-ClockSkew)) {
		t.Errorf("NotBefore %v, want a minute before %v", tmpl.NotBefore, before)
	}
	if d := tmpl.NotAfter.Sub(tmpl.NotBefore); d != time.Hour+ClockSkew {
		t.Errorf("valid for %v, want an hour from now", d)
	}
	if tmpl.IsCA || tmpl.KeyUsage != 0 || tmpl.ExtKeyUsage != nil {
		t.Error("Template chose usages for the caller")
	}
}

func TestASelfSignedCertVerifiesForItsNamesOnly(t *testing.T) {
	c := ca(t)
	for _, name := range []string{"127.0.0.1", "::1", "localhost"} {
		if _, err := c.Leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: c.Pool()}); err != nil {
			t.Errorf("does not verify for %s: %v", name, err)
		}
	}
	if _, err := c.Leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: c.Pool()}); err == nil {
		t.Error("verifies for example.com")
	}
	if _, err := c.Leaf.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: x509.NewCertPool()}); err == nil {
		t.Error("verifies without being trusted")
	}
}

func TestAnIssuedCertChainsToItsCAAndNoOther(t *testing.T) {
	root, other := ca(t), ca(t)
	tmpl := Template("leaf", time.Hour, "localhost")
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	leaf, err := root.Issue(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	opts := x509.VerifyOptions{DNSName: "localhost", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	opts.Roots = root.Pool()
	if _, err := leaf.Leaf.Verify(opts); err != nil {
		t.Errorf("does not chain to its CA: %v", err)
	}
	opts.Roots = other.Pool()
	if _, err := leaf.Leaf.Verify(opts); err == nil {
		t.Error("chains to another CA")
	}
	if leaf.Leaf.IsCA || leaf.Key.Equal(root.Key) {
		t.Error("the issued certificate is a CA or shares the CA's key")
	}
}

func TestSerialsAreRandom128BitUnlessGiven(t *testing.T) {
	a, b := ca(t), ca(t)
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	if a.Leaf.SerialNumber.Cmp(b.Leaf.SerialNumber) == 0 || a.Leaf.SerialNumber.Cmp(limit) >= 0 {
		t.Errorf("serials %v and %v", a.Leaf.SerialNumber, b.Leaf.SerialNumber)
	}
	tmpl := Template("fixed", time.Hour)
	tmpl.SerialNumber = big.NewInt(42)
	c, err := SelfSigned(tmpl)
	if err != nil || c.Leaf.SerialNumber.Int64() != 42 {
		t.Errorf("serial %v (%v), want the given 42", c.Leaf.SerialNumber, err)
	}
}

// The encodings load back into the same pair, and the certificate's PEM
// holds no key.
func TestThePEMAndTLSFormsAreTheSamePair(t *testing.T) {
	c := ca(t)
	keyPEM, err := c.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(keyPEM), "-----BEGIN EC PRIVATE KEY-----") {
		t.Errorf("key PEM %.40q", keyPEM)
	}
	if strings.Contains(string(c.CertPEM()), "PRIVATE KEY") {
		t.Error("the certificate PEM holds a private key")
	}
	pair, err := tls.X509KeyPair(c.CertPEM(), keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	direct := c.TLS()
	if !pair.Leaf.Equal(direct.Leaf) || !c.Key.Equal(pair.PrivateKey) || !c.Key.Equal(direct.PrivateKey) {
		t.Error("PEM and TLS forms differ")
	}
}
