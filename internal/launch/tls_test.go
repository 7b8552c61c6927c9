package launch

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/internal/wire"
)

// pluginEnv is what one start hands a plugin: its certificate and key (on
// stdin) and the host's certificate (in the environment).
type pluginEnv struct{ pair, host string }

func startChannel(t *testing.T, id *Identity) (pluginEnv, *tls.Config) {
	t.Helper()
	env, stdin, cfg, err := id.channel()
	if err != nil {
		t.Fatal(err)
	}
	p := pluginEnv{pair: string(stdin)}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case wire.EnvHostCert:
			p.host = v
		case wire.EnvPluginTLS:
			if v != wire.PluginTLSOnStdin {
				t.Fatalf("%s=%s", k, v)
			}
		default:
			t.Fatalf("unexpected variable %s", k)
		}
		if strings.Contains(v, "PRIVATE KEY") {
			t.Fatalf("a private key in the plugin's environment: %s", k)
		}
	}
	return p, cfg
}

func (p pluginEnv) server(t *testing.T) *tls.Config {
	t.Helper()
	cfg, err := wire.ServerTLS([]byte(p.pair), []byte(p.host))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// handshake runs a TLS handshake between a host (client) and a plugin
// (server) on 127.0.0.1 and returns the host's error and the plugin's.
func handshake(t *testing.T, host, plugin *tls.Config) (hostErr, pluginErr error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan error, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		s := tls.Server(conn, plugin)
		if err = s.Handshake(); err == nil {
			_, err = s.Read(make([]byte, 1)) // the client's first byte
		}
		done <- err
	}()
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := tls.Client(conn, host)
	if hostErr = c.Handshake(); hostErr == nil {
		if _, hostErr = c.Write([]byte{1}); hostErr == nil {
			// TLS 1.3: the plugin checks the host's certificate after the
			// host's handshake is done; its verdict arrives as an alert.
			_, hostErr = c.Read(make([]byte, 1))
			if hostErr == io.EOF {
				hostErr = nil
			}
		}
	}
	conn.Close()
	return hostErr, <-done
}

func TestTheChannelAcceptsItsHostAndItsPluginOnly(t *testing.T) {
	var id, other Identity
	p, host := startChannel(t, &id)
	if hostErr, pluginErr := handshake(t, host, p.server(t)); hostErr != nil || pluginErr != nil {
		t.Fatalf("the host and its plugin: host %v, plugin %v", hostErr, pluginErr)
	}

	// Another host (another registry, or anyone) that trusts this
	// plugin's certificate is still refused by the plugin.
	_, stranger := startChannel(t, &other)
	stranger.RootCAs = host.RootCAs
	if _, pluginErr := handshake(t, stranger, p.server(t)); pluginErr == nil {
		t.Fatal("the plugin accepted a host it was not given")
	}

	// A server with another plugin's certificate (another start, same
	// host) is refused by the host.
	q, _ := startChannel(t, &id)
	if hostErr, _ := handshake(t, host, q.server(t)); hostErr == nil {
		t.Fatal("the host accepted a plugin certificate it did not make for this start")
	}
}

func TestAHostMakesItsCertificateOnceAndAP256OnePerStart(t *testing.T) {
	var id Identity
	p, _ := startChannel(t, &id)
	q, _ := startChannel(t, &id)
	if p.host != q.host {
		t.Fatal("a second start made a new host certificate")
	}
	if p.pair == q.pair {
		t.Fatal("two starts share a plugin certificate")
	}
	pair, err := tls.X509KeyPair([]byte(p.pair), []byte(p.pair))
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := pair.PrivateKey.(*ecdsa.PrivateKey); !ok || k.Curve != elliptic.P256() {
		t.Fatalf("plugin key %T, want P-256", pair.PrivateKey)
	}
}

// The certificates keep the description they had before certgen made
// them: named localhost, for both ends, self-signed CAs that live as long
// as a host may run, with the key as an "EC PRIVATE KEY".
func TestTheChannelCertificateIsASelfSignedLocalhostCAForBothEnds(t *testing.T) {
	p, _ := startChannel(t, new(Identity))
	for name, pemText := range map[string]string{"host": p.host, "plugin": p.pair} {
		block, _ := pem.Decode([]byte(pemText))
		if block == nil || block.Type != "CERTIFICATE" {
			t.Fatalf("%s: no certificate first in %q", name, pemText)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.Subject.CommonName != serverName || !slices.Equal(c.Subject.Organization, []string{"tokenplug"}):
			t.Errorf("%s: subject %v", name, c.Subject)
		case !slices.Equal(c.DNSNames, []string{serverName}) || len(c.IPAddresses) != 0:
			t.Errorf("%s: names %v %v", name, c.DNSNames, c.IPAddresses)
		case !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}):
			t.Errorf("%s: extended key usage %v", name, c.ExtKeyUsage)
		case c.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageCertSign || !c.IsCA || !c.BasicConstraintsValid:
			t.Errorf("%s: key usage %v, CA %v", name, c.KeyUsage, c.IsCA)
		case c.CheckSignatureFrom(c) != nil:
			t.Errorf("%s: not self-signed", name)
		case !c.NotBefore.Before(time.Now()) || c.NotAfter.Before(time.Now().AddDate(99, 0, 0)):
			t.Errorf("%s: valid %v to %v", name, c.NotBefore, c.NotAfter)
		}
	}
	if !strings.Contains(p.pair, "-----BEGIN EC PRIVATE KEY-----") {
		t.Error("the plugin's key is not an EC PRIVATE KEY")
	}
}
