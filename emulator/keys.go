package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// keyBits is the RSA size real issuers use for RS256 (IBM and Azure both
// sign with 2048-bit keys). Generating one takes ~100 ms, so each emulator
// makes one key when it is constructed and keeps it.
const keyBits = 2048

// signer issues, counts and verifies the RS256 JWTs of a token endpoint
// (IAM, Azure). Safe for concurrent use: its other fields are written only
// by newSigner.
type signer struct {
	key    *rsa.PrivateKey
	kid    string // key id in the JWT header, as real issuers publish one
	iss    string // the iss claim every issued token carries
	issued atomic.Int64
}

func newSigner(issuer string) *signer {
	kid := make([]byte, 8)
	_, _ = rand.Read(kid)
	return &signer{key: newRSAKey(), kid: hex.EncodeToString(kid), iss: issuer}
}

// newRSAKey generates an emulator's signing key. Only a broken crypto/rand
// or an invalid size fails here; an emulator without a key is useless, and
// this runs in tests, so it panics.
func newRSAKey() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		panic(fmt.Sprintf("emulator: generate RSA key: %v", err))
	}
	return key
}

// issue returns a token for claims, valid from iat to exp, and counts it.
func (s *signer) issue(claims jwt.MapClaims, iat, exp time.Time) (string, error) {
	return s.issueAs(s.iss, claims, iat, exp)
}

// issueAs is issue with iss as the issuer, for an emulator whose issuer is
// its own URL (OAuth2).
func (s *signer) issueAs(iss string, claims jwt.MapClaims, iat, exp time.Time) (string, error) {
	claims["iss"], claims["iat"], claims["exp"] = iss, iat.Unix(), exp.Unix()
	tok, err := s.sign(claims)
	if err == nil {
		s.issued.Add(1)
	}
	return tok, err
}

// sign returns the compact JWT for claims, signed RS256.
func (s *signer) sign(claims jwt.MapClaims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = s.kid
	return t.SignedString(s.key)
}

// verify checks token's signature (RS256 with this signer's key only), its
// issuer, and that it is not expired at now. It returns the claims.
func (s *signer) verify(token string, now time.Time) (jwt.MapClaims, error) {
	return s.verifyAs(s.iss, token, now)
}

// verifyAs is verify with iss as the issuer to require.
func (s *signer) verifyAs(iss, token string, now time.Time) (jwt.MapClaims, error) {
	if token == "" {
		return nil, errors.New("no token")
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return &s.key.PublicKey, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(iss),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	if err != nil {
		return nil, err
	}
	return claims, nil
}

// randomID returns n random bytes in hex, for request ids and jti claims.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// clock returns now() or, when now is nil, time.Now().
func clock(now func() time.Time) time.Time {
	if now != nil {
		return now()
	}
	return time.Now()
}
