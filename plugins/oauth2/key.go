package oauth2

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// Signing algorithms (RFC 7518 §3.1) a client assertion may use.
const (
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256; the default for RSA keys
	PS256 = "PS256" // RSASSA-PSS with SHA-256
	ES256 = "ES256" // ECDSA on P-256 with SHA-256; the default for P-256 keys
)

// minRSABits refuses keys too weak to sign with (NIST SP 800-131A).
const minRSABits = 2048

// ParsePrivateKey reads the first private key in PEM data: PKCS#1 ("RSA
// PRIVATE KEY"), SEC1 ("EC PRIVATE KEY") or PKCS#8 ("PRIVATE KEY"),
// skipping any other block, so a certificate and its key in one file (as
// Azure's client certificates come) work. An RSA key needs at least 2048
// bits; an EC key must be on P-256. A PEM pasted into a one-line string with
// literal \n sequences is accepted. Errors never quote key material.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		return nil, errors.New("no PEM block found")
	}
	if !bytes.Contains(data, []byte("\n")) && bytes.Contains(data, []byte(`\n`)) {
		data = bytes.ReplaceAll(bytes.ReplaceAll(data, []byte(`\r\n`), []byte("\n")), []byte(`\n`), []byte("\n"))
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no private key PEM block found (want RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY)")
		}
		if key, err := parseKeyBlock(block); key != nil || err != nil {
			return key, err
		}
	}
}

// parseKeyBlock parses one PEM block; a block that holds no private key
// (a certificate, say) gives nil, nil.
func parseKeyBlock(block *pem.Block) (crypto.Signer, error) {
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("the private key is encrypted; give it unencrypted (PKCS#1, SEC1 or PKCS#8)")
	default:
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("malformed %s block", block.Type)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minRSABits {
			return nil, fmt.Errorf("RSA key has %d bits; at least %d are required", bits, minRSABits)
		}
		return k, nil
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("EC key is on %s; only P-256 (ES256) is supported", k.Curve.Params().Name)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("unsupported key type %T (want RSA or EC P-256)", key)
	}
}

// signingMethod returns the JWT signing method for alg and key; an empty
// alg picks the key's default (RS256 for RSA, ES256 for P-256). An alg that
// does not fit the key is an error naming both.
func signingMethod(alg string, key crypto.Signer) (jwt.SigningMethod, error) {
	_, isRSA := key.(*rsa.PrivateKey)
	_, isEC := key.(*ecdsa.PrivateKey)
	if alg == "" {
		alg = map[bool]string{true: RS256, false: ES256}[isRSA]
	}
	switch {
	case (alg == RS256 || alg == PS256) && isRSA:
		return jwt.GetSigningMethod(alg), nil
	case alg == ES256 && isEC:
		return jwt.SigningMethodES256, nil
	case alg != RS256 && alg != PS256 && alg != ES256:
		return nil, fmt.Errorf("unsupported signing_alg %q (want RS256, PS256 or ES256)", alg)
	default:
		return nil, fmt.Errorf("signing_alg %s does not fit a %s key", alg, map[bool]string{true: "RSA", false: "EC"}[isRSA])
	}
}
