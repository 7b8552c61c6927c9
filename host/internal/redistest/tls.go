package redistest

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/internal/certgen"
)

// CA is a test certificate authority whose certificate is in File (PEM).
type CA struct {
	File string
	cert *certgen.Cert
	dir  string
}

// certLifetime is how long the test certificates are valid: a test runs
// for seconds, a day leaves room for a slow machine.
const certLifetime = 24 * time.Hour

// NewCA generates a CA valid for a day.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	tmpl := certgen.Template(name, certLifetime)
	tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	cert, err := certgen.SelfSigned(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	ca := &CA{cert: cert, dir: t.TempDir()}
	ca.File = ca.write(t, name+"-ca.pem", cert.CertPEM())
	return ca
}

// Issue returns the files of a new certificate and key signed by ca: for
// 127.0.0.1 and localhost, usable by a server and a client.
func (ca *CA) Issue(t testing.TB, name string) (certFile, keyFile string) {
	t.Helper()
	tmpl := certgen.Template(name, certLifetime, "127.0.0.1", "localhost")
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	cert, err := ca.cert.Issue(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	key, err := cert.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	return ca.write(t, name+".pem", cert.CertPEM()), ca.write(t, name+"-key.pem", key)
}

// bundle returns a PEM file of ca's certificate and other's: ca.File
// when they are the same CA.
func (ca *CA) bundle(t testing.TB, other *CA) string {
	t.Helper()
	if other == ca {
		return ca.File
	}
	return ca.write(t, "bundle.pem", append(ca.cert.CertPEM(), other.cert.CertPEM()...))
}

func (ca *CA) write(t testing.TB, name string, pemData []byte) string {
	t.Helper()
	path := filepath.Join(ca.dir, name)
	if err := os.WriteFile(path, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// StartTLS starts redis-server with TLS only, its certificate signed by
// ca; with clientCerts it requires a client certificate signed by ca. It
// skips the test when redis-server was built without TLS.
func StartTLS(t testing.TB, ca *CA, clientCerts bool) *Server {
	t.Helper()
	checkTLS(t)
	return startTLS(t, ca, clientCerts, freePort(t))
}

// tlsArgs are the options of a TLS-only server on port.
func tlsArgs(t testing.TB, ca *CA, port int, clientCerts bool) []string {
	t.Helper()
	cert, key := ca.Issue(t, "redis-server-"+strconv.Itoa(port))
	auth := "no"
	if clientCerts {
		auth = "yes"
	}
	return []string{"--tls-port", strconv.Itoa(port), "--port", "0", "--tls-cert-file", cert, "--tls-key-file", key,
		"--tls-ca-cert-file", ca.File, "--tls-auth-clients", auth}
}

// checkTLS skips the test when redis-server was built without TLS.
func checkTLS(t testing.TB) {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found on $PATH: the shared-cache tests need it")
	}
	// A build with TLS complains about the missing certificate and exits;
	// one without complains about the directive.
	if out, _ := exec.Command(path, "--port", "0", "--tls-port", "1", "--save", "").CombinedOutput(); !strings.Contains(string(out), "tls-cert-file") {
		t.Skipf("redis-server seems built without TLS support (BUILD_TLS=yes): %s", strings.TrimSpace(string(out)))
	}
}

// ClientConfig is a TLS configuration trusting ca only, for a test's own
// clients.
func (ca *CA) ClientConfig(t testing.TB) *tls.Config {
	t.Helper()
	return &tls.Config{RootCAs: ca.cert.Pool(), MinVersion: tls.VersionTLS12}
}
