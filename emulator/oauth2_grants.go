package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// IssueRefreshToken returns a refresh token for a registered client and
// scope (checked against the client's Scopes), as if the client had been
// through an authorization flow: the starting point of a refresh_token
// grant test. Each use of a refresh token returns a new one and spends the
// old one (rotation, RFC 9700 §4.14.2).
func (e *OAuth2) IssueRefreshToken(clientID, scope string) (string, error) {
	granted, err := e.allowedScope(clientID, scope)
	if err != nil {
		return "", err
	}
	return e.newRefreshToken(refreshGrant{clientID: clientID, subject: clientID, scope: granted}), nil
}

// allowedScope is the scope a registered client gets for scope, for the
// Issue methods.
func (e *OAuth2) allowedScope(clientID, scope string) (string, error) {
	c, ok := e.client(clientID)
	if !ok {
		return "", errors.New("emulator/oauth2: client not registered (see AddClient)")
	}
	granted, oerr := grantScope(c, scope)
	if oerr != nil {
		return "", errors.New("emulator/oauth2: scope not allowed for this client")
	}
	return granted, nil
}

func (e *OAuth2) newRefreshToken(g refreshGrant) string {
	tok := "rt-" + randomID(24)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.refresh[tok] = g
	return tok
}

// refreshGrant is RFC 6749 §6 with rotation: the refresh token must be live
// and the client's own; a requested scope may narrow the original, never
// widen it (invalid_scope); the token is spent and a new one, with the
// original scope, is returned.
func (e *OAuth2) refreshGrant(ca clientAuth, r *http.Request) (tokenGrant, *oauthError) {
	if ca.method == "" {
		return tokenGrant{}, badRequest("invalid_client", "client authentication required")
	}
	rt := r.PostForm.Get("refresh_token")
	if rt == "" {
		return tokenGrant{}, badRequest("invalid_request", "refresh_token is missing")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	g, ok := e.refresh[rt]
	if !ok || g.clientID != ca.client.ID {
		return tokenGrant{}, badRequest("invalid_grant", "refresh token invalid, spent or issued to another client")
	}
	scope := g.scope
	if asked := strings.Fields(r.PostForm.Get("scope")); len(asked) > 0 {
		granted := strings.Fields(g.scope)
		for _, s := range asked {
			if !slices.Contains(granted, s) {
				return tokenGrant{}, badRequest("invalid_scope", "a requested scope was not granted originally (RFC 6749 §6)")
			}
		}
		scope = strings.Join(asked, " ")
	}
	delete(e.refresh, rt) // spent, even if the answer is lost: rotation leaves no second chance
	return tokenGrant{clientID: g.clientID, subject: g.subject, scope: scope, refresh: &g}, nil
}

// tokenExchange is RFC 8693 §2.1: a subject token (and an optional actor
// token) this emulator issued or a trusted issuer signed, exchanged for an
// access token (or, if requested, a JWT) for the subject, with act naming
// the actor (§4.1). An invalid or unacceptable token is invalid_request
// (§2.2.2). Client authentication is optional.
func (e *OAuth2) tokenExchange(ca clientAuth, r *http.Request, iss string) (tokenGrant, *oauthError) {
	f := r.PostForm
	subject, oerr := e.exchangeToken(f.Get("subject_token"), f.Get("subject_token_type"), "subject", iss)
	if oerr != nil {
		return tokenGrant{}, oerr
	}
	g := tokenGrant{clientID: ca.client.ID, subject: subject, issuedType: TokenTypeAccessToken}
	if f.Has("actor_token") || f.Has("actor_token_type") {
		actor, oerr := e.exchangeToken(f.Get("actor_token"), f.Get("actor_token_type"), "actor", iss)
		if oerr != nil {
			return tokenGrant{}, oerr
		}
		g.act = map[string]any{"sub": actor}
	}
	switch f.Get("requested_token_type") {
	case "", TokenTypeAccessToken:
	case TokenTypeJWT:
		g.issuedType = TokenTypeJWT
	default:
		return tokenGrant{}, badRequest("invalid_request", "unsupported requested_token_type")
	}
	g.scope, oerr = grantScope(ca.client, f.Get("scope"))
	return g, oerr
}

// exchangeToken checks a subject or actor token and returns its sub.
func (e *OAuth2) exchangeToken(raw, typ, role, iss string) (string, *oauthError) {
	switch {
	case raw == "" || typ == "":
		return "", badRequest("invalid_request", role+"_token and "+role+"_token_type are required (RFC 8693 §2.1)")
	case typ != TokenTypeAccessToken && typ != TokenTypeJWT && typ != TokenTypeIDToken:
		return "", badRequest("invalid_request", "unsupported "+role+"_token_type")
	}
	var claims jwt.MapClaims
	var err error
	if tiss := unverifiedIssuer(raw); tiss == iss {
		claims, err = e.signer.verifyAs(iss, raw, clock(e.Now))
	} else if key, _ := e.trustedKey(tiss); key != nil {
		claims, err = e.checkJWT(raw, key, nil, nil)
	} else {
		err = errors.New("untrusted issuer")
	}
	sub, _ := claims["sub"].(string)
	if err != nil || sub == "" {
		return "", badRequest("invalid_request", "invalid "+role+"_token")
	}
	return sub, nil
}

// tokenAudience is the aud of a token: the audience parameters (RFC 8693
// §2.1) and the resource indicators (RFC 8707 §2: absolute URIs without a
// fragment, else invalid_target), or the client id when there are none.
func tokenAudience(f url.Values, clientID string) ([]string, *oauthError) {
	aud := slices.Clone(f["audience"])
	for _, res := range f["resource"] {
		u, err := url.Parse(res)
		if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(res, "#") {
			return nil, badRequest("invalid_target", "resource must be an absolute URI without a fragment (RFC 8707 §2)")
		}
		aud = append(aud, res)
	}
	if len(aud) == 0 && clientID != "" {
		aud = []string{clientID}
	}
	return aud, nil
}

// reservedClaims are the claims a claims request cannot set: the emulator's
// own.
var reservedClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "client_id", "act"}

// requestedClaims reads the claims parameter (OpenID Connect Core §5.5, as
// Entra ID's claims challenges send it): the access_token member's claims
// that ask for a value or values get it in the token.
func requestedClaims(param string) (map[string]any, error) {
	if param == "" {
		return nil, nil
	}
	var req struct {
		AccessToken map[string]*struct {
			Value  any   `json:"value"`
			Values []any `json:"values"`
		} `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(param), &req); err != nil {
		return nil, errors.New("not a JSON claims request")
	}
	out := map[string]any{}
	for name, c := range req.AccessToken {
		switch {
		case c == nil || slices.Contains(reservedClaims, name):
		case c.Value != nil:
			out[name] = c.Value
		case c.Values != nil:
			out[name] = c.Values
		}
	}
	return out, nil
}
