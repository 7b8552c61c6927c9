package grpccreds

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/credentials"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/hostmatch"
	"github.com/tokenplug/tokenplug/internal/authheader"
	"github.com/tokenplug/tokenplug/internal/nilcheck"
)

// TokenSource supplies tokens for RPCs; same as tokenplug.TokenSource.
// *host.Source implements it.
//
// Token is called once per RPC with the RPC's context, concurrently from many
// goroutines; it should return a cached token quickly and must not block past
// ctx. Callers do not modify the returned token.
type TokenSource = tokenplug.TokenSource

// Invalidator is implemented by sources that can drop a token the server
// rejected; same as tokenplug.Invalidator. *host.Source implements it; the
// interceptors call it on Unauthenticated.
type Invalidator = tokenplug.Invalidator

// FromOAuth2 adapts an oauth2.TokenSource; same as tokenplug.FromOAuth2. A
// source with a TokenContext method gets the RPC's deadline; any other is
// only refused an RPC that is already cancelled. Wrap ts in
// oauth2.ReuseTokenSource if it does not cache. Give the credentials their
// hosts with WithHosts. FromOAuth2(nil), or of a nil pointer, returns nil,
// which New turns into credentials that fail every RPC.
func FromOAuth2(ts oauth2.TokenSource) TokenSource { return tokenplug.FromOAuth2(ts) }

// PerRPC is a credentials.PerRPCCredentials that attaches a token from a
// TokenSource to every RPC. It is safe for concurrent use. Create it with New.
type PerRPC struct {
	src      TokenSource
	name     string
	insecure bool
	lookup   Lookup
	hosts    []string                  // from WithHosts
	given    *hostmatch.Scope          // parsed hosts; nil when WithHosts gave none
	err      error                     // bad hosts: every RPC fails with it
	hdr      authheader.Cache[tokenMD] // the last token's metadata, built once per token
}

var _ credentials.PerRPCCredentials = (*PerRPC)(nil)

// Option configures New.
type Option func(*PerRPC)

// AllowInsecure lets the credentials be used on connections without privacy
// and integrity. Use it only for loopback connections and tests: on any
// other plaintext connection the token travels readable by anyone on the
// path, and can be replayed until it expires.
func AllowInsecure() Option { return func(c *PerRPC) { c.insecure = true } }

// WithName sets the provider name used in errors. The default is the
// source's Name() if it has such a method (as *host.Source does), else
// "unnamed".
func WithName(name string) Option { return func(c *PerRPC) { c.name = name } }

// New returns credentials that fetch a token from src for each RPC. By
// default they require a connection with privacy and integrity (TLS or
// ALTS): gRPC refuses to dial an insecure channel with them, and
// GetRequestMetadata refuses, before fetching anything, if it finds itself on
// one.
//
// The token goes only to servers among src's hosts (its HostScope method:
// a *host.Source reports its configured hosts, else its plugin's default
// hosts) or those given WithHosts; with none, every RPC fails. New does not
// fail: with a nil src (including a nil *host.Source) or an invalid host
// pattern, every RPC fails with that error, and nothing is sent.
func New(src TokenSource, opts ...Option) *PerRPC {
	c := &PerRPC{src: src}
	for _, o := range opts {
		o(c)
	}
	if nilcheck.Is(src) {
		c.src = nil
		if c.name == "" {
			c.name = "unnamed"
		}
		return c
	}
	if c.name == "" {
		c.name = nameOf(src)
	}
	c.err = c.parseHosts()
	return c
}

// nameOf returns src's Name() if it has one.
func nameOf(src any) string {
	if n, ok := src.(interface{ Name() string }); ok && n.Name() != "" {
		return n.Name()
	}
	return "unnamed"
}

// RequireTransportSecurity reports whether the credentials need a secure
// connection: true unless AllowInsecure was given.
func (c *PerRPC) RequireTransportSecurity() bool { return !c.insecure }

// GetRequestMetadata returns the header carrying a token for one RPC. gRPC
// calls it with the RPC's context; the source gets that context, so the RPC's
// deadline bounds the fetch.
//
// The connection's security is checked first: on a connection without
// privacy and integrity (unless AllowInsecure), it returns an Unauthenticated
// error without calling the source. Every error is a gRPC status naming the
// provider; see the package doc.
//
// Then the server: uri, the audience gRPC passes ("https://<authority>/<service>"),
// names it, and unless its authority is one of the provider's hosts the
// RPC fails with PermissionDenied, naming the provider and the authority,
// before any token is fetched. Called without uri, it refuses too.
func (c *PerRPC) GetRequestMetadata(ctx context.Context, uri ...string) (map[string]string, error) {
	name, src, own := c.name, c.src, true
	if !c.insecure {
		ri, _ := credentials.RequestInfoFromContext(ctx)
		if err := credentials.CheckSecurityLevel(ri.AuthInfo, credentials.PrivacyAndIntegrity); err != nil {
			return nil, insecureError(name, err)
		}
	}
	if p, ok := providerFrom(ctx); ok {
		var err error
		if name, src, err = c.resolve(p); err != nil {
			return nil, err
		}
		own = false
	}
	if c.err != nil {
		return nil, c.err
	}
	if src == nil {
		return nil, errNilSource(ctx, name)
	}
	sc, err := c.scopeFor(ctx, src, own)
	if err != nil {
		return nil, tokenError(ctx, name, err)
	}
	if err := checkScope(name, sc, uri); err != nil {
		return nil, err
	}
	u := usageOf(ctx)
	tok, err := u.tokenFor(ctx, src)
	if err != nil {
		return nil, tokenError(ctx, name, err)
	}
	if tok == nil {
		return nil, tokenError(ctx, name, errEmptyToken())
	}
	md := c.hdr.Get(tok, header)
	if md.err != nil {
		return nil, tokenError(ctx, name, md.err)
	}
	recordUse(u, src, tok)
	return map[string]string{md.key: md.value}, nil
}

// errBadToken marks a token the source returned but that cannot be sent. It
// is permanent: the source will return the same kind of token again.
var errBadToken = errors.New("unusable token")

// tokenMD is the metadata key and value that carry a token, or why the
// token cannot be sent.
type tokenMD struct {
	key, value string
	err        error
}

func errEmptyToken() error {
	return tokenplug.Permanent(fmt.Errorf("%w: source returned an empty token", errBadToken))
}

// header returns the metadata for tok (not nil).
func header(tok *oauth2.Token) tokenMD {
	if tok.AccessToken == "" {
		return tokenMD{err: errEmptyToken()}
	}
	name, value := tokenplug.RequestHeader(tok)
	key := strings.ToLower(name)
	if !validKey(key) {
		return tokenMD{err: tokenplug.Permanent(fmt.Errorf("%w: header %q cannot be gRPC metadata", errBadToken, name))}
	}
	return tokenMD{key: key, value: value}
}

// validKey reports whether key is an ordinary ASCII metadata key that gRPC
// passes through unchanged: not reserved ("grpc-"), not a pseudo-header
// (":authority"), not binary ("-bin" values are base64-decoded).
func validKey(key string) bool {
	if key == "" || strings.HasPrefix(key, "grpc-") || strings.HasSuffix(key, "-bin") {
		return false
	}
	for _, r := range key {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
