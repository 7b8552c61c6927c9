// Package symphony is the tokenplug provider for Symphony Connect, which
// authenticates a customer by a JWT the customer signs itself: RS512, with
// sub "ces:customer:<public key name>", iat, exp no more than 30 minutes
// after iat, and a random jti (Symphony's Connect authentication page). It
// needs no network.
//
// Settings:
//
//	private_key_file  path to the customer's RSA private key (PEM, PKCS#1
//	                  or PKCS#8, at least 2048 bits); or use private_key
//	private_key       secret: the key itself. A PEM pasted into YAML or an
//	                  environment variable with literal \n sequences
//	                  instead of newlines is accepted, as
//	                  finos/symphony-bdk-java's JwtHelper tolerates them
//	public_key_name   required: the name the public key is registered
//	                  under in Symphony; the token's sub is
//	                  ces:customer:<name>
//	lifetime          default 25m, at most 30m (Symphony refuses exp more
//	                  than 30 minutes after iat). The default leaves 5
//	                  minutes for clock skew between this machine and
//	                  Symphony's, as the BDK's JwtHelper signs well under
//	                  the maximum; a lifetime of exactly 30m is refused as
//	                  soon as the clocks disagree by a second.
//
// Each token has a fresh jti. Symphony's documentation does not make a
// Connect JWT single-use, so the host caches and reuses a token until it
// nears expiry.
package symphony

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/internal/pathname"
	"github.com/tokenplug/tokenplug/plugin"
)

// Name is the provider's name; its binary is tokenplug-symphony.
const Name = "symphony"

// Setting keys (user-facing API).
const (
	SettingPrivateKeyFile = "private_key_file"
	SettingPrivateKey     = "private_key"
	SettingPublicKeyName  = "public_key_name"
	SettingLifetime       = "lifetime"
)

// MaxLifetime is the longest token Symphony Connect accepts (exp - iat).
const MaxLifetime = 30 * time.Minute

// DefaultLifetime leaves a margin below MaxLifetime for clock skew, as
// finos/symphony-bdk-java's JwtHelper does.
const DefaultLifetime = 25 * time.Minute

// minKeyBits rejects keys too weak to sign with; Symphony asks for 4096-bit
// keys, and nothing below 2048 bits is safe today.
const minKeyBits = 2048

// Version is the provider's version.
const Version = "1.0.0"

// Provider signs Symphony Connect JWTs. The zero value is ready to use and
// safe for concurrent use.
type Provider struct {
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// New returns a Provider with default settings.
func New() Provider { return Provider{} }

// Describe declares the provider's settings.
func (Provider) Describe() plugin.Description {
	return plugin.Description{
		Name:    Name,
		Version: Version,
		// Symphony's pods and its Connect API live under symphony.com.
		DefaultHosts: []string{"*.symphony.com"},
		Settings: []plugin.Setting{
			{Key: SettingPrivateKeyFile, Description: "path to the customer's RSA private key (PEM, PKCS#1 or PKCS#8); or use private_key"},
			{Key: SettingPrivateKey, Description: "the customer's RSA private key itself (PEM, PKCS#1 or PKCS#8; literal \\n sequences are read as newlines)", Secret: true},
			{Key: SettingPublicKeyName, Description: "name the public key is registered under; the token's sub is ces:customer:<name>", Required: true},
			{Key: SettingLifetime, Description: "token lifetime, at most 30m; the default leaves 5m for clock skew", Default: "25m"},
		},
	}
}

// Configure loads the private key and checks the lifetime.
func (p Provider) Configure(_ context.Context, s map[string]string) (oauth2.TokenSource, error) {
	var errs plugin.SettingErrors
	key, keyErr := loadKey(s[SettingPrivateKeyFile], s[SettingPrivateKey])
	if keyErr != nil {
		errs = append(errs, *keyErr)
	}
	lifetime, err := lifetimeOf(s)
	var se plugin.SettingError
	if errors.As(err, &se) {
		errs = append(errs, se)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	now := p.Now
	if now == nil {
		now = time.Now
	}
	return &source{key: key, sub: "ces:customer:" + s[SettingPublicKeyName], lifetime: lifetime, now: now}, nil
}

// lifetimeOf reads the lifetime setting; unset means DefaultLifetime, for
// callers that skip plugin.ApplySchema.
func lifetimeOf(s map[string]string) (time.Duration, error) {
	return plugin.DurationUpTo(s, SettingLifetime, DefaultLifetime, MaxLifetime)
}

// loadKey reads the key from exactly one of file and pem, naming the
// setting at fault. It never echoes key material.
func loadKey(file, inline string) (*rsa.PrivateKey, *plugin.SettingError) {
	key, data := SettingPrivateKey, []byte(inline)
	switch {
	case file != "" && inline != "":
		return nil, &plugin.SettingError{Key: SettingPrivateKey, Message: "set private_key or private_key_file, not both"}
	case file == "" && inline == "":
		return nil, &plugin.SettingError{Key: SettingPrivateKeyFile, Message: "required (or private_key)"}
	case pathname.Problem(file) != "":
		return nil, &plugin.SettingError{Key: SettingPrivateKeyFile, Message: "not a file path: " + pathname.Problem(file) +
			" (the value is not shown; put the key in private_key, or name its file here)"}
	case file != "":
		key = SettingPrivateKeyFile
		b, err := os.ReadFile(file) // its error names no path: the file's name is not quoted
		if err != nil {
			return nil, &plugin.SettingError{Key: key, Message: "cannot read: " + errors.Unwrap(err).Error()}
		}
		data = b
	}
	rsaKey, err := parseRSAKey(data)
	if err != nil {
		return nil, &plugin.SettingError{Key: key, Message: err.Error()}
	}
	return rsaKey, nil
}

// escapedNewline is a newline written as the two characters \ and n, as a
// PEM pasted into a one-line YAML string or environment variable often is.
var escapedNewline = []byte(`\n`)

// decodePEM decodes the first PEM block of data. If there is none and data
// holds literal \n sequences, it reads them (and \r\n) as newlines and tries
// again, as finos/symphony-bdk-java's JwtHelper accepts such keys.
func decodePEM(data []byte) *pem.Block {
	if block, _ := pem.Decode(data); block != nil || !bytes.Contains(data, escapedNewline) {
		return block
	}
	data = bytes.ReplaceAll(data, []byte(`\r\n`), []byte("\n"))
	block, _ := pem.Decode(bytes.ReplaceAll(data, escapedNewline, []byte("\n")))
	return block
}

func parseRSAKey(data []byte) (*rsa.PrivateKey, error) {
	block := decodePEM(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("malformed PKCS#1 RSA private key")
		}
		key = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("malformed PKCS#8 private key")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("not an RSA key (%T); Symphony Connect needs RS512", k)
		}
		key = rk
	default:
		return nil, fmt.Errorf("PEM block %q is not an unencrypted PKCS#1 or PKCS#8 private key", block.Type)
	}
	if bits := key.N.BitLen(); bits < minKeyBits {
		return nil, fmt.Errorf("RSA key has %d bits; at least %d are required", bits, minKeyBits)
	}
	return key, nil
}

// source signs a new token on every call; the host caches.
type source struct {
	key      *rsa.PrivateKey
	sub      string
	lifetime time.Duration
	now      func() time.Time
}

// Token signs a new token.
func (s *source) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

// TokenContext signs a new token; signing makes no request, so ctx is not
// needed.
func (s *source) TokenContext(context.Context) (*oauth2.Token, error) {
	iat := s.now().Truncate(time.Second) // JWT times are whole seconds
	exp := iat.Add(s.lifetime)
	claims := jwt.RegisteredClaims{
		Subject:   s.sub,
		IssuedAt:  jwt.NewNumericDate(iat),
		ExpiresAt: jwt.NewNumericDate(exp),
		ID:        uuid.NewString(),
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodRS512, claims).SignedString(s.key)
	if err != nil {
		return nil, plugin.Permanent(fmt.Errorf("tokenplug/symphony: sign: %w", err))
	}
	return &oauth2.Token{AccessToken: signed, TokenType: "Bearer", Expiry: exp}, nil
}
