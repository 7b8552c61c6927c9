package oauth2

import (
	"bytes"
	"errors"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/tokenplug/tokenplug/plugin"
)

// AssertionLifetime is how long a signed assertion is valid (exp - iat).
// An assertion is spent at once, so it only needs to outlive the request;
// five minutes absorbs clock skew and is within every server's limit
// (Entra ID and Okta accept up to an hour).
const AssertionLifetime = 5 * time.Minute

// maxTokenFile bounds a token or assertion file: a JWT is a few kilobytes.
const maxTokenFile = 64 << 10

// clientAssertion returns the client's RFC 7523 §2.2 assertion: the
// contents of ClientAssertionFile, read now, or a JWT signed with the key
// whose issuer and subject are the client id and whose audience is the
// token endpoint (RFC 7523 §3; OpenID Connect Core §9).
func (s *TokenSource) clientAssertion(tokenURL string) (string, error) {
	if s.cfg.ClientAssertionFile != "" {
		return s.readToken(SettingClientAssertionFile, s.cfg.ClientAssertionFile)
	}
	return s.signAssertion(s.cfg.ClientID, s.cfg.ClientID, tokenURL)
}

// grantAssertion returns the RFC 7523 §2.1 grant's JWT.
func (s *TokenSource) grantAssertion(tokenURL string) (string, error) {
	iss, sub, aud := s.cfg.AssertionIssuer, s.cfg.AssertionSubject, s.cfg.AssertionAudience
	if iss == "" {
		iss = s.cfg.ClientID
	}
	if sub == "" {
		sub = s.cfg.ClientID
	}
	if aud == "" {
		aud = tokenURL
	}
	return s.signAssertion(iss, sub, aud)
}

// signAssertion signs a JWT with RFC 7523 §3's claims: iss, sub, aud, exp
// AssertionLifetime after iat, nbf (Entra ID requires it), and a fresh
// random jti, so no two assertions are alike and a server that refuses a
// replayed jti never sees one.
func (s *TokenSource) signAssertion(iss, sub, aud string) (string, error) {
	iat := s.cfg.Now().Truncate(time.Second)
	claims := jwt.RegisteredClaims{
		Issuer:    iss,
		Subject:   sub,
		Audience:  jwt.ClaimStrings{aud},
		IssuedAt:  jwt.NewNumericDate(iat),
		NotBefore: jwt.NewNumericDate(iat),
		ExpiresAt: jwt.NewNumericDate(iat.Add(AssertionLifetime)),
		ID:        uuid.NewString(),
	}
	t := jwt.NewWithClaims(s.sign, claims)
	if s.cfg.KeyID != "" {
		t.Header["kid"] = s.cfg.KeyID
	}
	if s.cfg.X5TS256 != "" {
		t.Header["x5t#S256"] = s.cfg.X5TS256
	}
	signed, err := t.SignedString(s.cfg.Key)
	if err != nil {
		// The error names the method or key type, never key material.
		return "", s.errorf("sign assertion: %w", plugin.Permanent(err))
	}
	return signed, nil
}

// readToken reads a token file (an assertion, a subject token) at each
// fetch: a projected token is rotated by the kubelet behind our back. A
// missing or empty file is Temporary (it may be being rotated); the error
// names the setting, never the contents.
func (s *TokenSource) readToken(key, path string) (string, error) {
	b, err := readTokenFile(path)
	if err != nil {
		return "", s.errorf("%s: %w", key, plugin.Temporary(err))
	}
	return b, nil
}

func readTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", errors.New("cannot read: " + pathErr(err))
	}
	defer f.Close()
	b, err := plugin.ReadBody(f, maxTokenFile)
	if err != nil {
		return "", errors.New("cannot read: file is over 64 KiB or unreadable")
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "", errors.New("file is empty")
	}
	return string(b), nil
}

// pathErr returns the reason of a file error without the path's
// surroundings ("no such file or directory").
func pathErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// checkReadable reports a token file that cannot be read now, at
// configuration, so a typo in a path is a setting error rather than a
// failed fetch.
func checkReadable(key, path string, add func(key, msg string)) {
	if _, err := readTokenFile(path); err != nil {
		add(key, err.Error())
	}
}
