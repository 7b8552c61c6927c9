package rediscache

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/tokenplug/tokenplug/internal/pathname"
)

// secure completes the TLS configuration of a rediss:// topology: at least
// TLS 1.2, the CA file as the only roots if set, the client certificate if
// set. Cluster nodes and the servers behind Sentinel are verified against
// the address the client dials, not the seed's name in the URL.
func (cn *connector) secure(t Topology) error {
	if !cn.tls {
		return nil
	}
	var cfg *tls.Config
	switch {
	case cn.single != nil:
		cfg = cn.single.TLSConfig
	case cn.cluster != nil:
		cfg = cn.cluster.TLSConfig
		cfg.ServerName = ""
	case cn.failover != nil:
		cfg = cn.failover.TLSConfig
		cfg.ServerName = ""
	}
	if cfg == nil { // go-redis sets one for every rediss:// URL
		return &FieldError{Field: settingURL, Err: errors.New("rediss:// without a TLS configuration")}
	}
	cfg.MinVersion = max(cfg.MinVersion, tls.VersionTLS12)
	cfg.InsecureSkipVerify = false
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return &FieldError{Field: settingCAFile, Err: errors.New(fileError(err))}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return &FieldError{Field: settingCAFile, Err: errors.New("no PEM certificate in " + pathname.Show(t.CAFile))}
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return &FieldError{Field: settingCertFile, Err: errors.New("with KeyFile: " + fileError(err))}
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return nil
}

// fileError describes a file error. An *os.PathError's path is the
// setting's own value: quoted if it is a plausible path, never if it may
// be a key pasted in its place.
func fileError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s: %v", pathname.Show(pe.Path), pe.Err)
	}
	return err.Error()
}

// probe checks the TLS handshake with Redis right after New, so a wrong
// ca_file or client certificate is reported at startup, naming the
// setting, rather than at the first fetch. Requests work either way: they
// fetch locally while Redis cannot be used. A ping that times out says
// nothing about TLS (a first handshake can be slow: loading the system's
// roots, a server still starting), so it is tried again, probeAttempts
// times in all; any other answer ends the probe.
func (c *Cache) probe(ctx context.Context) {
	defer close(c.probed)
	for range probeAttempts {
		op, cancel := context.WithTimeout(ctx, c.timeout)
		err := c.rdb.Ping(op).Err()
		cancel()
		if err == nil || ctx.Err() != nil {
			return
		}
		if setting, why := tlsProblem(err); setting != "" {
			c.log.Error("tokenplug/rediscache: "+setting+": "+why+"; fetching tokens locally", "error", err.Error())
			c.trouble(&redisError{err})
			return
		}
		if !timedOut(err) {
			return
		}
	}
}

// probeAttempts bounds the startup check's pings.
const probeAttempts = 3

// timedOut reports whether err is a deadline or a network timeout.
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// tlsProblem names the setting to fix when err is a failed TLS
// verification, and says why; "" if err is something else.
func tlsProblem(err error) (setting, why string) {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		header   tls.RecordHeaderError
		op       *net.OpError
	)
	switch {
	case errors.As(err, &unknown):
		return settingCAFile, "the server's certificate is not signed by a CA in it (or in the system's roots when unset)"
	case errors.As(err, &hostname):
		return settingURL, "the server's certificate is not for the host in it"
	case errors.As(err, &invalid):
		return settingCAFile, "the server's certificate is not valid (expired, or not for a server)"
	case errors.As(err, &op) && op.Op == "remote error":
		// A TLS alert from the server (crypto/tls's alert type is not
		// exported): over a verified connection, the server refusing the
		// client certificate or its absence.
		return settingCertFile, "the server rejected the client certificate (or its absence): " + op.Err.Error()
	case errors.As(err, &header):
		return settingURL, "the server does not speak TLS: use redis:// or its TLS port"
	}
	return "", ""
}
