package interop

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/storage"
	"golang.org/x/crypto/bcrypt"
)

// Clients the fosite server knows. The basic client's secret holds every
// character RFC 6749 §2.3.1's form-encoding changes.
const (
	basicClient  = "basic client"
	basicSecret  = "s3:cr+et/%2F&x=y z"
	postClient   = "post-client"
	postSecret   = "post-secret-value-1"
	rsaClient    = "rsa-client"
	ecClient     = "ec-client"
	narrowClient = "narrow-client" // may use refresh_token only
	bearerIss    = "https://issuer.example"
	bearerSub    = "service-account-7"
	userName     = "peter"
	userPassword = "secret-password-1"
)

// Keys of the private_key_jwt clients and of the jwt-bearer issuer.
var (
	rsaKey, _    = rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _     = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	bearerKey, _ = rsa.GenerateKey(rand.Reader, 2048)
)

// fositeServer is ory/fosite's authorization server on loopback: the
// client_credentials, refresh_token (with rotation), password (to obtain a
// first refresh token) and RFC 7523 jwt-bearer grants; client_secret_basic,
// client_secret_post and private_key_jwt.
type fositeServer struct {
	*httptest.Server
	provider fosite.OAuth2Provider
	store    *failingStore
}

// failingStore is fosite's memory store whose token writes can be made
// to fail with an error of the test's choice, as a database would.
type failingStore struct {
	*storage.MemoryStore
	fail atomic.Pointer[error] // nil: succeed
}

func (s *failingStore) CreateAccessTokenSession(ctx context.Context, sig string, req fosite.Requester) error {
	if err := s.fail.Load(); err != nil {
		return *err
	}
	return s.MemoryStore.CreateAccessTokenSession(ctx, sig, req)
}

func newFositeServer(t *testing.T) *fositeServer {
	t.Helper()
	store := &failingStore{MemoryStore: storage.NewMemoryStore()}
	f := &fositeServer{store: store}
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(f.token))
	f.Start()
	t.Cleanup(f.Close)
	config := &fosite.Config{
		AccessTokenLifespan:  time.Hour,
		RefreshTokenLifespan: 24 * time.Hour,
		GlobalSecret:         []byte("an hmac secret of 32 bytes long!"),
		TokenURL:             f.URL + "/token", // the audience of client assertions
		ScopeStrategy:        fosite.ExactScopeStrategy,
	}
	f.addClients(t)
	f.provider = compose.Compose(config, store, compose.NewOAuth2HMACStrategy(config),
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OAuth2ResourceOwnerPasswordCredentialsFactory,
		compose.RFC7523AssertionGrantFactory,
		compose.OAuth2TokenIntrospectionFactory,
	)
	return f
}

func (f *fositeServer) addClients(t *testing.T) {
	grants := fosite.Arguments{"client_credentials", "refresh_token", "password", "urn:ietf:params:oauth:grant-type:jwt-bearer"}
	scopes := fosite.Arguments{"read", "write", "offline"}
	client := func(id, secret string, grantTypes fosite.Arguments) *fosite.DefaultClient {
		c := &fosite.DefaultClient{ID: id, GrantTypes: grantTypes, Scopes: scopes, ResponseTypes: fosite.Arguments{"token"}}
		if secret != "" {
			h, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			c.Secret = h
		} else {
			c.Public = false
		}
		return c
	}
	oidc := func(c *fosite.DefaultClient, method, alg string, keys *jose.JSONWebKeySet) *fosite.DefaultOpenIDConnectClient {
		return &fosite.DefaultOpenIDConnectClient{DefaultClient: c, TokenEndpointAuthMethod: method, TokenEndpointAuthSigningAlgorithm: alg, JSONWebKeys: keys}
	}
	s := f.store.MemoryStore
	s.Clients[basicClient] = oidc(client(basicClient, basicSecret, grants), "client_secret_basic", "", nil)
	s.Clients[postClient] = oidc(client(postClient, postSecret, grants), "client_secret_post", "", nil)
	s.Clients[narrowClient] = oidc(client(narrowClient, postSecret, fosite.Arguments{"refresh_token"}), "client_secret_post", "", nil)
	s.Clients[rsaClient] = oidc(client(rsaClient, "", grants), "private_key_jwt", "RS256", jwks(rsaKey.Public(), "RS256", "rsa-1"))
	s.Clients[ecClient] = oidc(client(ecClient, "", grants), "private_key_jwt", "ES256", jwks(ecKey.Public(), "ES256", "ec-1"))
	s.Users[userName] = storage.MemoryUserRelation{Username: userName, Password: userPassword}
	s.IssuerPublicKeys[bearerIss] = storage.IssuerPublicKeys{Issuer: bearerIss, KeysBySub: map[string]storage.SubjectPublicKeys{
		bearerSub: {Subject: bearerSub, Keys: map[string]storage.PublicKeyScopes{
			"bearer-1": {Key: &jose.JSONWebKey{Key: bearerKey.Public(), KeyID: "bearer-1", Algorithm: "RS256", Use: "sig"}, Scopes: []string{"read"}},
		}},
	}}
}

func jwks(pub crypto.PublicKey, alg, kid string) *jose.JSONWebKeySet {
	return &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: kid, Algorithm: alg, Use: "sig"}}}
}

// token is the token endpoint, as fosite's own examples write it: every
// requested scope the client may have is granted.
func (f *fositeServer) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := f.provider.NewAccessRequest(ctx, r, &fosite.DefaultSession{})
	if err != nil {
		f.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	for _, s := range ar.GetRequestedScopes() {
		ar.GrantScope(s)
	}
	resp, err := f.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		f.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	f.provider.WriteAccessResponse(ctx, w, ar, resp)
}

// introspect reports whether fosite considers access token tok active.
func (f *fositeServer) active(t *testing.T, tok string) bool {
	t.Helper()
	_, _, err := f.provider.IntrospectToken(t.Context(), tok, fosite.AccessToken, &fosite.DefaultSession{})
	return err == nil
}

func pemPKCS8(t *testing.T, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
