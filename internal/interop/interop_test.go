package interop

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ory/fosite"

	"github.com/tokenplug/tokenplug"
)

// Each client authentication fosite supports gets a token fosite itself
// considers active.
func TestFositeIssuesTokensForEachClientAuthentication(t *testing.T) {
	f := newFositeServer(t)
	for _, tt := range []struct {
		name     string
		settings map[string]string
	}{
		{"client_secret_basic with : + / % & = in the secret (RFC 6749 §2.3.1)",
			map[string]string{"client_id": basicClient, "client_secret": basicSecret}},
		{"client_secret_post", map[string]string{"client_id": postClient, "client_secret": postSecret, "client_auth": "post"}},
		{"private_key_jwt RS256", map[string]string{"client_id": rsaClient, "client_auth": "private_key_jwt", "private_key": pemPKCS8(t, rsaKey), "key_id": "rsa-1"}},
		{"private_key_jwt ES256", map[string]string{"client_id": ecClient, "client_auth": "private_key_jwt", "private_key": pemPKCS8(t, ecKey), "key_id": "ec-1"}},
		{"jwt-bearer grant (RFC 7523 §2.1) with client_secret_basic", map[string]string{"grant": "jwt_bearer", "client_id": basicClient, "client_secret": basicSecret,
			"private_key": pemPKCS8(t, bearerKey), "key_id": "bearer-1", "assertion_issuer": bearerIss, "assertion_subject": bearerSub}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.settings["token_url"], tt.settings["scope"] = f.URL+"/token", "read"
			fe := newFetcher(t, tt.settings)
			for i := range 2 { // twice: a fresh assertion (jti) each time
				tok, err := fe.fresh(t)
				if err != nil {
					t.Fatalf("fetch %d: %v", i+1, err)
				}
				if !f.active(t, tok.AccessToken) {
					t.Errorf("fetch %d: fosite does not know the token", i+1)
				}
			}
		})
	}
}

// RFC 6749 §6 with rotation: each refresh spends the refresh token, the
// provider uses the new one, and fosite refuses the spent one.
func TestFositeRotatesRefreshTokensAndTheProviderFollows(t *testing.T) {
	f := newFositeServer(t)
	status, body := postForm(t, f.URL+"/token", url.Values{"grant_type": {"password"}, "username": {userName}, "password": {userPassword}, "scope": {"read offline"}}, basicClient, basicSecret)
	first, _ := body["refresh_token"].(string)
	if status != 200 || first == "" {
		t.Fatalf("password grant: %d %v", status, body["error"])
	}
	fe := newFetcher(t, map[string]string{"token_url": f.URL + "/token", "grant": "refresh_token", "refresh_token": first,
		"client_id": basicClient, "client_secret": basicSecret, "scope": "read offline"})
	for i := range 3 {
		tok, err := fe.fresh(t)
		if err != nil {
			t.Fatalf("refresh %d: %v", i+1, err)
		}
		if !f.active(t, tok.AccessToken) {
			t.Errorf("refresh %d: fosite does not know the token", i+1)
		}
	}
	status, body = postForm(t, f.URL+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first}}, basicClient, basicSecret)
	if status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("the spent refresh token: %d %v, want 400 invalid_grant", status, body["error"])
	}
}

// fosite's RFC 6749 §5.2 answers, classified and named through the host.
func TestFositeErrorsReachTheCallerClassified(t *testing.T) {
	f := newFositeServer(t)
	spent := spentRefreshToken(t, f)
	for _, tt := range []struct {
		name     string
		settings map[string]string
		fail     error // of fosite's storage
		want     error
		says     string
	}{
		{"a wrong secret", map[string]string{"client_id": basicClient, "client_secret": "wrong-secret-1"}, nil, tokenplug.ErrPermanent, "invalid_client"},
		{"a scope the client may not have", map[string]string{"client_id": basicClient, "client_secret": basicSecret, "scope": "admin"}, nil, tokenplug.ErrPermanent, "invalid_scope"},
		{"a grant the client may not use", map[string]string{"client_id": narrowClient, "client_secret": postSecret, "client_auth": "post"}, nil, tokenplug.ErrPermanent, "unauthorized_client"},
		{"a spent refresh token", map[string]string{"client_id": basicClient, "client_secret": basicSecret, "grant": "refresh_token", "refresh_token": spent}, nil, tokenplug.ErrPermanent, "invalid_grant"},
		{"a storage outage (fosite answers 500)", map[string]string{"client_id": basicClient, "client_secret": basicSecret},
			errors.New("database is down"), tokenplug.ErrTemporary, "500 Internal Server Error"},
		{"temporarily_unavailable", map[string]string{"client_id": basicClient, "client_secret": basicSecret},
			fosite.ErrTemporarilyUnavailable, tokenplug.ErrTemporary, "temporarily_unavailable"},
		{"server_error", map[string]string{"client_id": basicClient, "client_secret": basicSecret},
			fosite.ErrServerError, tokenplug.ErrTemporary, "server_error"},
		// fosite answers a grant it has no handler for with invalid_request;
		// unsupported_grant_type comes from its error writer, injected.
		{"unsupported_grant_type", map[string]string{"client_id": basicClient, "client_secret": basicSecret},
			fosite.ErrUnsupportedGrantType, tokenplug.ErrPermanent, "unsupported_grant_type"},
		{"token exchange, which fosite does not implement", map[string]string{"client_id": basicClient, "client_secret": basicSecret,
			"grant": "token_exchange", "subject_token_file": subjectFile(t)}, nil, tokenplug.ErrPermanent, "invalid_request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.settings["token_url"] = f.URL + "/token"
			if tt.fail != nil {
				f.store.fail.Store(&tt.fail)
				defer f.store.fail.Store(nil)
			}
			_, err := newFetcher(t, tt.settings).fresh(t)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v, want %v saying %s", err, tt.want, tt.says)
			}
			for _, secret := range []string{tt.settings["client_secret"], tt.settings["refresh_token"]} {
				if secret != "" && strings.Contains(err.Error(), secret) {
					t.Errorf("error %q quotes a secret", err)
				}
			}
		})
	}
}

// subjectFile writes a subject token for token exchange.
func subjectFile(t *testing.T) string { return subjectFileWith(t, "subject.jwt.token") }

// subjectFileWith writes token to a file and returns its path.
func subjectFileWith(t *testing.T, token string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "subject")
	if err := os.WriteFile(p, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// spentRefreshToken returns a refresh token fosite has rotated away.
func spentRefreshToken(t *testing.T, f *fositeServer) string {
	t.Helper()
	_, body := postForm(t, f.URL+"/token", url.Values{"grant_type": {"password"}, "username": {userName}, "password": {userPassword}, "scope": {"offline"}}, basicClient, basicSecret)
	rt, _ := body["refresh_token"].(string)
	if status, b := postForm(t, f.URL+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, basicClient, basicSecret); status != 200 {
		t.Fatalf("refresh: %d %v", status, b)
	}
	return rt
}
