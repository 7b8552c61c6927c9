package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
)

var tokenCmd = &command{
	name:    "token",
	summary: "print a provider's token as JSON",
	help: `Usage: tokenplug token NAME [--format json|raw|header|exec-credential] [--decode]

Prints provider NAME's token as JSON:
access_token, token_type, expiry (RFC 3339, or null when it does not expire)
and header (the request header that carries it). The token is a credential:
do not paste it anywhere you would not paste a password.

Valid tokens are kept in a per-user cache ($XDG_CACHE_HOME/tokenplug, else
~/.cache/tokenplug; see "Token cache" below), so a script calling this in a
loop starts no plugin and fetches no token until the cached one is due for
renewal. --no-cache neither reads nor writes tokens there; --refresh
fetches a new token and caches it. A configuration with a cache section
uses that cache instead.

A provider whose refresh token rotates (the server issues a new one with
each token and refuses the spent one, e.g. oauth2 with grant
refresh_token) has the new one kept, sealed, in the same cache, with
--no-cache too: the next call starts from it, not from the configured
one, which the server would refuse. A changed refresh_token in the
configuration starts afresh from the new value.

--format picks the output: json (the default, above), raw (the access
token alone; --raw is the same), header (the header line; --header is the
same) or exec-credential: a Kubernetes ExecCredential
(client.authentication.k8s.io/v1, status.token and
status.expirationTimestamp), which makes tokenplug a kubectl credential
plugin. It answers in the apiVersion KUBERNETES_EXEC_INFO asks for (v1 or
v1beta1). With the token cache, kubectl runs tokenplug on every call and
tokenplug fetches once per token lifetime.

--decode adds the JWT's header and claims, decoded WITHOUT checking the
signature (the output says "signature_verified": false).

Token cache: one file per provider configuration, named by a keyed hash
of its plugin and settings (a changed credential never reuses an old
token), sealed with AES-256-GCM under a key kept in the directory's 0600
key file. The directory must be the user's own and not writable by others;
otherwise the cache is not used and a warning says why.

Examples:
  tokenplug token watson --decode
  curl -H "$(tokenplug token watson --header)" https://api.example.com/v1/things
  TOKEN=$(tokenplug token watson --raw)
  # in a kubeconfig user: exec: {command: tokenplug, args: [token, aks, --format, exec-credential]}
`,
	run: runToken,
}

// fetchTimeout bounds a CLI command's wait for a token: plugin start plus
// one vendor round trip, with room for a slow network.
const fetchTimeout = 30 * time.Second

func runToken(ctx context.Context, c *cli, cmd *command, args []string) error {
	fs := c.flagSet(cmd)
	decode := fs.Bool("decode", false, "also print the JWT header and claims (signature NOT verified)")
	header := fs.Bool("header", false, `print the header line only ("Authorization: Bearer ..."); same as --format header`)
	raw := fs.Bool("raw", false, "print the access token only; same as --format raw")
	format := fs.String("format", "", "output: json (default), raw, header or exec-credential")
	timeout := fs.Duration("timeout", fetchTimeout, "give up fetching after this long")
	noCache := fs.Bool("no-cache", false, "neither read nor write the token cache")
	refresh := fs.Bool("refresh", false, "fetch a new token even if the cache has a valid one, and cache it")
	pos, err := c.parse(fs, cmd, args, "NAME")
	if err != nil {
		return err
	}
	out, err := outputFormat(*format, *decode, *header, *raw)
	if err != nil {
		return err
	}
	apiVersion, interactive := "", false
	if out == formatExecCredential {
		if apiVersion, interactive, err = execInfoVersion(); err != nil {
			return err
		}
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	reg, err := c.registry(cfg, c.tokenCache(cfg, *noCache, *refresh)...)
	if err != nil {
		return err
	}
	defer reg.Close()
	src, err := source(cfg, reg, pos[0])
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	tok, err := src.Token(ctx)
	if err != nil {
		return locate(cfg, timedOut(ctx, cfg, pos[0], *timeout, err))
	}
	name, value := tokenplug.RequestHeader(tok)
	switch out {
	case formatHeader:
		_, err = fmt.Fprintf(c.stdout, "%s: %s\n", name, value)
	case formatRaw:
		_, err = fmt.Fprintln(c.stdout, tok.AccessToken)
	case formatExecCredential:
		err = printExecCredential(c, pos[0], tok, name, apiVersion, interactive)
	default:
		err = printToken(c, tok, name, *decode)
	}
	return err
}

// The values of token --format.
const (
	formatJSON           = "json"
	formatRaw            = "raw"
	formatHeader         = "header"
	formatExecCredential = "exec-credential"
)

// outputFormat reads --format and its older spellings --raw and --header,
// which must agree with it; --decode goes with json only.
func outputFormat(format string, decode, header, raw bool) (string, error) {
	switch format {
	case "", formatJSON, formatRaw, formatHeader, formatExecCredential:
	default:
		return "", usageErrorf("token: --format %q: want json, raw, header or exec-credential", format)
	}
	if header && raw {
		return "", usageErrorf("token: --header and --raw exclude each other")
	}
	alias := ""
	if header {
		alias = formatHeader
	}
	if raw {
		alias = formatRaw
	}
	switch {
	case alias != "" && format != "" && format != alias:
		return "", usageErrorf("token: --%s and --format %s exclude each other", alias, format)
	case alias != "":
		format = alias
	case format == "":
		format = formatJSON
	}
	if decode && format != formatJSON {
		return "", usageErrorf("token: --decode goes with --format json only")
	}
	return format, nil
}

// tokenJSON is what "tokenplug token" prints.
type tokenJSON struct {
	AccessToken string     `json:"access_token"`
	TokenType   string     `json:"token_type"`
	Expiry      *time.Time `json:"expiry"`
	Header      string     `json:"header"`
	JWT         *jwtJSON   `json:"jwt,omitempty"`
}

type jwtJSON struct {
	SignatureVerified bool           `json:"signature_verified"` // always false: we hold no key
	Header            map[string]any `json:"header"`
	Claims            jwt.MapClaims  `json:"claims"`
}

func printToken(c *cli, tok *oauth2.Token, header string, decode bool) error {
	out := tokenJSON{AccessToken: tok.AccessToken, TokenType: tok.Type(), Header: header}
	if !tok.Expiry.IsZero() {
		exp := tok.Expiry.UTC().Truncate(time.Second)
		out.Expiry = &exp
	}
	if decode {
		claims := jwt.MapClaims{}
		t, _, err := jwt.NewParser(jwt.WithJSONNumber()).ParseUnverified(tok.AccessToken, claims)
		if err != nil {
			// The parser's message never holds the token itself.
			return errors.New("token --decode: the access token is not a JWT")
		}
		out.JWT = &jwtJSON{Header: t.Header, Claims: claims}
	}
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
