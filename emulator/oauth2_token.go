package emulator

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// singleValued are the token request parameters that must not be repeated
// (RFC 6749 §3.2); audience and resource may be (RFC 8693 §2.1, RFC 8707
// §2).
var singleValued = []string{
	"grant_type", "client_id", "client_secret", "client_assertion", "client_assertion_type", "scope",
	"assertion", "refresh_token", "subject_token", "subject_token_type", "actor_token", "actor_token_type",
	"requested_token_type", "claims",
}

// tokenGrant is what a grant decided: who the token is for and what it
// carries, before the request's audience and claims are added.
type tokenGrant struct {
	clientID   string
	subject    string
	scope      string
	act        map[string]any
	refresh    *refreshGrant // issue a refresh token for this grant
	issuedType string        // RFC 8693 §2.2.1 issued_token_type
}

func (e *OAuth2) serveToken(w http.ResponseWriter, r *http.Request, iss string) {
	if e.Faults.apply(w, r) {
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		(&oauthError{status: http.StatusMethodNotAllowed, code: "invalid_request", desc: "the token endpoint takes POST"}).write(w)
		return
	}
	if oerr := parseTokenForm(w, r); oerr != nil {
		oerr.write(w)
		return
	}
	f := r.PostForm
	rec := OAuth2Request{GrantType: f.Get("grant_type"), Scope: f.Get("scope"), Audience: f["audience"], Resource: f["resource"], Claims: f.Get("claims")}
	resp, oerr := e.token(r, iss, &rec)
	if oerr != nil {
		rec.Error = oerr.code
		e.record(rec)
		oerr.write(w)
		return
	}
	e.record(rec)
	w.Header().Set("Cache-Control", "no-store") // RFC 6749 §5.1
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

// parseTokenForm reads a token request's form body (RFC 6749 §3.2: a form,
// no parameter repeated).
func parseTokenForm(w http.ResponseWriter, r *http.Request) *oauthError {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return badRequest("invalid_request", "the body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10) // a token request is at most a few kilobytes
	if err := r.ParseForm(); err != nil {
		return badRequest("invalid_request", "unreadable form body")
	}
	for _, k := range singleValued {
		if len(r.PostForm[k]) > 1 {
			return badRequest("invalid_request", "parameter "+k+" repeated (RFC 6749 §3.2)")
		}
	}
	return nil
}

// token authenticates the client, runs the grant and mints the answer.
func (e *OAuth2) token(r *http.Request, iss string, rec *OAuth2Request) (map[string]any, *oauthError) {
	ca, oerr := e.authenticate(r, iss)
	if oerr != nil {
		return nil, oerr
	}
	rec.ClientID, rec.AuthMethod = ca.client.ID, ca.method
	grant := r.PostForm.Get("grant_type")
	if grant == "" {
		return nil, badRequest("invalid_request", "grant_type is missing")
	}
	if ca.method != "" && ca.client.Grants != nil && !slices.Contains(ca.client.Grants, grant) {
		return nil, badRequest("unauthorized_client", "the client may not use this grant type")
	}
	var g tokenGrant
	switch grant {
	case GrantClientCredentials:
		g, oerr = e.clientCredentials(ca, r)
	case GrantJWTBearer:
		g, oerr = e.jwtBearer(ca, r, iss)
	case GrantRefreshToken:
		g, oerr = e.refreshGrant(ca, r)
	case GrantTokenExchange:
		g, oerr = e.tokenExchange(ca, r, iss)
	default:
		return nil, badRequest("unsupported_grant_type", "")
	}
	if oerr != nil {
		return nil, oerr
	}
	aud, oerr := tokenAudience(r.PostForm, g.clientID)
	if oerr != nil {
		return nil, oerr
	}
	extra, err := requestedClaims(r.PostForm.Get("claims"))
	if err != nil {
		return nil, badRequest("invalid_request", "claims: "+err.Error())
	}
	return e.mint(iss, g, aud, extra)
}

// clientCredentials is RFC 6749 §4.4: only for a confidential client.
func (e *OAuth2) clientCredentials(ca clientAuth, r *http.Request) (tokenGrant, *oauthError) {
	switch ca.method {
	case "":
		return tokenGrant{}, badRequest("invalid_client", "client authentication required")
	case "none":
		return tokenGrant{}, badRequest("unauthorized_client", "a public client cannot use client_credentials (RFC 6749 §4.4)")
	}
	scope, oerr := grantScope(ca.client, r.PostForm.Get("scope"))
	return tokenGrant{clientID: ca.client.ID, subject: ca.client.ID, scope: scope}, oerr
}

// jwtBearer is RFC 7523 §2.1: an assertion from a trusted issuer, checked
// as RFC 7523 §3 says, its jti never seen before. Client authentication is
// optional (§3.1); without it the assertion's issuer is the client.
func (e *OAuth2) jwtBearer(ca clientAuth, r *http.Request, iss string) (tokenGrant, *oauthError) {
	raw := r.PostForm.Get("assertion")
	if raw == "" {
		return tokenGrant{}, badRequest("invalid_request", "assertion is missing")
	}
	aiss := unverifiedIssuer(raw)
	key, cert := e.trustedKey(aiss)
	if key == nil {
		return tokenGrant{}, badRequest("invalid_grant", "assertion issuer not trusted")
	}
	claims, err := e.checkJWT(raw, key, cert, audiences(iss, r))
	if err != nil {
		return tokenGrant{}, badRequest("invalid_grant", "invalid assertion")
	}
	sub, _ := claims["sub"].(string)
	if sub == "" {
		return tokenGrant{}, badRequest("invalid_grant", "assertion without sub")
	}
	if e.spend(claims) != nil {
		return tokenGrant{}, badRequest("invalid_grant", "assertion jti missing or already used")
	}
	client := ca.client
	if ca.method == "" {
		client, _ = e.client(aiss)
		client.ID = aiss
	}
	scope, oerr := grantScope(client, r.PostForm.Get("scope"))
	return tokenGrant{clientID: client.ID, subject: sub, scope: scope}, oerr
}

// grantScope applies the client's scope policy to a requested scope: every
// requested scope must be allowed (else invalid_scope, RFC 6749 §5.2); none
// requested grants all allowed.
func grantScope(c OAuth2Client, requested string) (string, *oauthError) {
	asked := strings.Fields(requested)
	if c.Scopes == nil {
		return strings.Join(asked, " "), nil
	}
	if len(asked) == 0 {
		return strings.Join(c.Scopes, " "), nil
	}
	for _, s := range asked {
		if !slices.Contains(c.Scopes, s) {
			return "", badRequest("invalid_scope", "a requested scope is not allowed for this client")
		}
	}
	return strings.Join(asked, " "), nil
}

// mint signs the access token for g and builds the RFC 6749 §5.1 answer.
func (e *OAuth2) mint(iss string, g tokenGrant, aud []string, extra map[string]any) (map[string]any, *oauthError) {
	claims := jwt.MapClaims{}
	for k, v := range extra {
		claims[k] = v
	}
	claims["sub"], claims["jti"] = g.subject, randomID(16)
	setNonEmpty(claims, "client_id", g.clientID)
	setNonEmpty(claims, "scope", g.scope)
	if len(aud) == 1 {
		claims["aud"] = aud[0]
	} else if len(aud) > 1 {
		claims["aud"] = aud
	}
	if g.act != nil {
		claims["act"] = g.act
	}
	now := clock(e.Now).Truncate(time.Second)
	tok, err := e.signer.issueAs(iss, claims, now, now.Add(e.Lifetime))
	if err != nil {
		return nil, &oauthError{status: http.StatusInternalServerError, code: "server_error"}
	}
	resp := map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int64(e.Lifetime / time.Second)}
	setNonEmpty(resp, "scope", g.scope)
	setNonEmpty(resp, "issued_token_type", g.issuedType)
	if g.refresh != nil {
		resp["refresh_token"] = e.newRefreshToken(*g.refresh)
	}
	return resp, nil
}

func setNonEmpty[M ~map[string]any](m M, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// IssueToken returns an access token for a registered client, as a
// client_credentials request for scope would get, counted by Issued and
// accepted by Verify; for tests that need a token (a token-exchange
// subject token, a token for a resource server) without a request. Faults
// do not apply.
func (e *OAuth2) IssueToken(clientID, scope string) (string, error) {
	granted, err := e.allowedScope(clientID, scope)
	if err != nil {
		return "", err
	}
	resp, oerr := e.mint(e.Issuer, tokenGrant{clientID: clientID, subject: clientID, scope: granted}, []string{clientID}, nil)
	if oerr != nil {
		return "", errors.New("emulator/oauth2: cannot sign a token")
	}
	return resp["access_token"].(string), nil
}

// Verify reports whether token is an unexpired access token this emulator
// issued (RS256 with its key, iss equal to Issuer when Issuer is set).
func (e *OAuth2) Verify(token string) error {
	_, err := e.Claims(token)
	return err
}

// Claims verifies token as Verify does and returns its claims.
func (e *OAuth2) Claims(token string) (map[string]any, error) {
	claims, err := e.signer.verifyAs(e.Issuer, token, clock(e.Now))
	if err != nil {
		return nil, fmt.Errorf("emulator/oauth2: invalid token: %w", err)
	}
	return claims, nil
}
