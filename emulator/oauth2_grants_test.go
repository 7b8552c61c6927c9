package emulator_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokenplug/tokenplug/emulator"
)

// RFC 7523 §2.1: an assertion signed by a registered key is a grant; the
// token's subject is the assertion's; the same jti is refused after.
func TestOAuth2JWTBearerGrantIssuesForTheAssertionsSubjectOnce(t *testing.T) {
	e := oauthServer(t)
	client, idp := rsaKey(t), ecKey(t)
	mustAdd(t, e, emulator.OAuth2Client{ID: "svc", PublicKey: &client.PublicKey, Scopes: []string{"read", "write"}})
	if err := e.TrustIssuer("https://idp.example", &idp.PublicKey); err != nil {
		t.Fatal(err)
	}
	grant := func(as string) oauthAnswer {
		return tokenPost(t, e, form("grant_type", emulator.GrantJWTBearer, "assertion", as, "scope", "read"), nil)
	}
	as := assertion(t, jwt.SigningMethodRS256, client, "svc", e.TokenURL(), jwt.MapClaims{"sub": "user@example"}, nil)
	claims := mustToken(t, e, grant(as))
	if claims["sub"] != "user@example" || claims["client_id"] != "svc" || claims["scope"] != "read" {
		t.Errorf("claims %v", claims)
	}
	wantError(t, grant(as), http.StatusBadRequest, "invalid_grant")

	fed := assertion(t, jwt.SigningMethodES256, idp, "https://idp.example", e.Issuer, jwt.MapClaims{"sub": "system:serviceaccount:ns:sa"}, nil)
	if claims := mustToken(t, e, grant(fed)); claims["sub"] != "system:serviceaccount:ns:sa" {
		t.Errorf("federated claims %v", claims)
	}
	for name, as := range map[string]string{
		"an untrusted issuer": assertion(t, jwt.SigningMethodRS256, rsaKey(t), "stranger", e.TokenURL(), nil, nil),
		"no sub":              assertion(t, jwt.SigningMethodRS256, client, "svc", e.TokenURL(), jwt.MapClaims{"sub": nil}, nil),
		"another audience":    assertion(t, jwt.SigningMethodRS256, client, "svc", "https://other.example", nil, nil),
		"expired":             assertion(t, jwt.SigningMethodRS256, client, "svc", e.TokenURL(), jwt.MapClaims{"exp": time.Now().Add(-time.Second).Unix()}, nil),
	} {
		t.Run(name, func(t *testing.T) { wantError(t, grant(as), http.StatusBadRequest, "invalid_grant") })
	}
	wantError(t, tokenPost(t, e, form("grant_type", emulator.GrantJWTBearer), nil), http.StatusBadRequest, "invalid_request")
}

// RFC 6749 §6 with rotation: each use returns a new refresh token and the
// spent one is refused with invalid_grant.
func TestOAuth2RefreshTokensRotateAndASpentOneIsRefused(t *testing.T) {
	e := oauthServer(t)
	mustAdd(t, e, emulator.OAuth2Client{ID: "app", Secret: "s", Scopes: []string{"a", "b"}})
	mustAdd(t, e, emulator.OAuth2Client{ID: "other", Secret: "s"})
	first, err := e.IssueRefreshToken("app", "a b")
	if err != nil {
		t.Fatal(err)
	}
	refresh := func(client, rt, scope string) oauthAnswer {
		return tokenPost(t, e, form("grant_type", "refresh_token", "refresh_token", rt, "client_id", client, "client_secret", "s", "scope", scope), nil)
	}
	a := refresh("app", first, "")
	if claims := mustToken(t, e, a); claims["scope"] != "a b" || a.RefreshToken == "" || a.RefreshToken == first {
		t.Fatalf("claims %v, refresh token %q", claims, a.RefreshToken)
	}
	wantError(t, refresh("app", first, ""), http.StatusBadRequest, "invalid_grant")

	second := a.RefreshToken
	wantError(t, refresh("other", second, ""), http.StatusBadRequest, "invalid_grant")
	wantError(t, refresh("app", second, "a c"), http.StatusBadRequest, "invalid_scope")
	a = refresh("app", second, "b") // still live: the refused requests did not spend it
	if claims := mustToken(t, e, a); claims["scope"] != "b" {
		t.Errorf("narrowed scope = %v", claims["scope"])
	}
	a = refresh("app", a.RefreshToken, "") // the rotated token keeps the original scope
	if claims := mustToken(t, e, a); claims["scope"] != "a b" {
		t.Errorf("scope after narrowing = %v, want the original", claims["scope"])
	}
	if _, err := e.IssueRefreshToken("app", "c"); err == nil {
		t.Error("IssueRefreshToken granted a scope the client may not have")
	}
}

// RFC 8693: a subject token (this server's or a trusted issuer's) and an
// actor token are exchanged for a token for the subject with act.
func TestOAuth2TokenExchangeIssuesForTheSubjectWithTheActor(t *testing.T) {
	e := oauthServer(t)
	idp := rsaKey(t)
	mustAdd(t, e, emulator.OAuth2Client{ID: "gateway", Secret: "s"})
	if err := e.TrustIssuer("https://k8s.example", &idp.PublicKey); err != nil {
		t.Fatal(err)
	}
	own, err := e.IssueToken("gateway", "")
	if err != nil {
		t.Fatal(err)
	}
	k8s := assertion(t, jwt.SigningMethodRS256, idp, "https://k8s.example", "sts", jwt.MapClaims{"sub": "system:serviceaccount:ns:app"}, nil)
	exchange := func(kv ...string) oauthAnswer {
		f := form(append([]string{"grant_type", emulator.GrantTokenExchange, "client_id", "gateway", "client_secret", "s"}, kv...)...)
		return tokenPost(t, e, f, nil)
	}
	a := exchange("subject_token", k8s, "subject_token_type", emulator.TokenTypeJWT,
		"actor_token", own, "actor_token_type", emulator.TokenTypeAccessToken, "audience", "backend")
	claims := mustToken(t, e, a)
	if claims["sub"] != "system:serviceaccount:ns:app" || claims["aud"] != "backend" || a.IssuedTokenType != emulator.TokenTypeAccessToken ||
		!reflect.DeepEqual(claims["act"], map[string]any{"sub": "gateway"}) {
		t.Errorf("answer %+v claims %v", a, claims)
	}
	a = exchange("subject_token", own, "subject_token_type", emulator.TokenTypeAccessToken, "requested_token_type", emulator.TokenTypeJWT)
	if mustToken(t, e, a); a.IssuedTokenType != emulator.TokenTypeJWT {
		t.Errorf("issued_token_type = %q", a.IssuedTokenType)
	}
	for name, kv := range map[string][]string{
		"no subject_token_type":       {"subject_token", own},
		"an unknown token type":       {"subject_token", own, "subject_token_type", "urn:x"},
		"a forged subject token":      {"subject_token", assertion(t, jwt.SigningMethodRS256, rsaKey(t), "https://k8s.example", "sts", nil, nil), "subject_token_type", emulator.TokenTypeJWT},
		"an actor token without type": {"subject_token", own, "subject_token_type", emulator.TokenTypeJWT, "actor_token", own},
		"an unknown requested type":   {"subject_token", own, "subject_token_type", emulator.TokenTypeJWT, "requested_token_type", "urn:saml"},
	} {
		t.Run(name, func(t *testing.T) { wantError(t, exchange(kv...), http.StatusBadRequest, "invalid_request") })
	}
}

// A client's scope policy, RFC 8707 resources, the audience parameter and
// a claims request all show in the token.
func TestOAuth2TokensCarryTheGrantedScopeAudienceAndRequestedClaims(t *testing.T) {
	e := oauthServer(t)
	mustAdd(t, e, emulator.OAuth2Client{ID: "c", Secret: "s", Scopes: []string{"read", "write"}, Grants: []string{emulator.GrantClientCredentials}})
	cc := func(kv ...string) oauthAnswer {
		return tokenPost(t, e, form(append([]string{"grant_type", "client_credentials", "client_id", "c", "client_secret", "s"}, kv...)...), nil)
	}
	if claims := mustToken(t, e, cc()); claims["scope"] != "read write" || claims["aud"] != "c" {
		t.Errorf("default claims %v", claims)
	}
	a := cc("scope", "write", "resource", "https://api.example/v1", "audience", "orders",
		"claims", `{"access_token":{"xms_cc":{"values":["cp1"]},"acrs":{"essential":true,"value":"c1"},"iss":{"value":"evil"}}}`)
	claims := mustToken(t, e, a)
	want := map[string]any{"scope": "write", "aud": []any{"orders", "https://api.example/v1"}, "xms_cc": []any{"cp1"}, "acrs": "c1", "iss": e.Issuer}
	for k, v := range want {
		if !reflect.DeepEqual(claims[k], v) {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if a.ExpiresIn != 3600 || a.Scope != "write" || a.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("answer %+v", a)
	}
	wantError(t, cc("scope", "read admin"), http.StatusBadRequest, "invalid_scope")
	wantError(t, cc("resource", "relative/path"), http.StatusBadRequest, "invalid_target")
	wantError(t, cc("resource", "https://api.example/#frag"), http.StatusBadRequest, "invalid_target")
	wantError(t, cc("claims", "{not json"), http.StatusBadRequest, "invalid_request")
	wantError(t, tokenPost(t, e, form("grant_type", emulator.GrantTokenExchange, "client_id", "c", "client_secret", "s"), nil), http.StatusBadRequest, "unauthorized_client")
}

func TestOAuth2MalformedRequestsGetRFC6749Errors(t *testing.T) {
	e := oauthServer(t)
	mustAdd(t, e, emulator.OAuth2Client{ID: "c", Secret: "s"})
	auth := form("client_id", "c", "client_secret", "s")
	with := func(kv ...string) map[string][]string {
		f := form(kv...)
		for k, v := range auth {
			f[k] = v
		}
		return f
	}
	wantError(t, tokenPost(t, e, with("grant_type", "password"), nil), http.StatusBadRequest, "unsupported_grant_type")
	wantError(t, tokenPost(t, e, with(), nil), http.StatusBadRequest, "invalid_request")
	wantError(t, tokenPost(t, e, with("grant_type", "client_credentials", "scope", "a", "scope", "b"), nil), http.StatusBadRequest, "invalid_request")
	wantError(t, tokenPost(t, e, with("grant_type", "client_credentials"), func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }),
		http.StatusBadRequest, "invalid_request")
	wantError(t, tokenPost(t, e, with("grant_type", "client_credentials"), func(r *http.Request) { r.Method = http.MethodPut }),
		http.StatusMethodNotAllowed, "invalid_request")
	if e.Issued() != 0 {
		t.Errorf("Issued() = %d after refused requests", e.Issued())
	}
}

// Faults answer as the other emulators' do, and can send an RFC 6749 §5.2
// body such as slow_down with Retry-After.
func TestOAuth2FaultsApplyBeforeAnyCheck(t *testing.T) {
	e := oauthServer(t)
	mustAdd(t, e, emulator.OAuth2Client{ID: "c", Secret: "s"})
	cc := form("grant_type", "client_credentials", "client_id", "c", "client_secret", "s")
	e.Faults.Set(emulator.Fault{Status: 400, Body: `{"error":"slow_down"}`, RetryAfter: 1500 * time.Millisecond, Times: 1})
	a := tokenPost(t, e, cc, nil)
	wantError(t, a, http.StatusBadRequest, "slow_down")
	if a.Header.Get("Retry-After") != "2" || !strings.HasPrefix(a.Header.Get("Content-Type"), "application/json") {
		t.Errorf("headers %v", a.Header)
	}
	mustToken(t, e, tokenPost(t, e, cc, nil))

	e.DiscoveryFaults.Set(emulator.Fault{Status: 503, Times: 1})
	resp, err := http.Get(e.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || e.Discoveries() != 0 || e.Issued() != 1 {
		t.Errorf("discovery status %d, Discoveries %d, Issued %d", resp.StatusCode, e.Discoveries(), e.Issued())
	}
}

// Verify accepts only unexpired tokens of this emulator.
func TestOAuth2VerifyRefusesExpiredAndForeignTokens(t *testing.T) {
	e, other := oauthServer(t), oauthServer(t)
	now := time.Unix(1_800_000_000, 0)
	e.Now = func() time.Time { return now }
	mustAdd(t, e, emulator.OAuth2Client{ID: "c", Secret: "s"})
	mustAdd(t, other, emulator.OAuth2Client{ID: "c", Secret: "s"})
	tok, _ := e.IssueToken("c", "")
	foreign, _ := other.IssueToken("c", "")
	if err := e.Verify(tok); err != nil {
		t.Fatalf("Verify(own token) = %v", err)
	}
	if e.Verify(foreign) == nil {
		t.Error("Verify accepted another emulator's token")
	}
	now = now.Add(time.Hour + time.Second)
	if e.Verify(tok) == nil {
		t.Error("Verify accepted an expired token")
	}
}
