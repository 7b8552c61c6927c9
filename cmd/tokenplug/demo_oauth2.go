package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/tokenplug/tokenplug/emulator"
)

// oauthLab is the demo's standard authorization server (the OAuth2
// emulator) and an API that accepts its tokens, with three throwaway
// clients: one with a client secret holding the characters RFC 6749 §2.3.1
// form-encodes (client_secret_basic, found by discovery), one with an EC
// key (private_key_jwt), and one standing for an Entra ID app (azure mode
// entra, client_secret_post).
type oauthLab struct {
	idp                   *emulator.OAuth2
	api                   *httptest.Server
	secret, entraSecret   string
	keyFile               string
	basicID, jwtID, entID string
}

func newOAuthLab() *oauthLab {
	return &oauthLab{
		idp: emulator.StartOAuth2(), secret: "demo:" + randomHex(8) + "+/%&=", entraSecret: "Entra~" + randomHex(12),
		basicID: "demo-app", jwtID: "demo-jwt-app", entID: "demo-entra-app",
	}
}

// start writes the key client's private key into dir and registers the
// clients.
func (o *oauthLab) start(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	o.keyFile = filepath.Join(dir, "oauth2-client-key.pem")
	if err := os.WriteFile(o.keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return err
	}
	orders := []string{"orders.read"}
	for _, c := range []emulator.OAuth2Client{
		{ID: o.basicID, Secret: o.secret, Scopes: orders},
		{ID: o.jwtID, PublicKey: &key.PublicKey, Scopes: orders},
		{ID: o.entID, Secret: o.entraSecret},
	} {
		if err := o.idp.AddClient(c); err != nil {
			return err
		}
	}
	o.api = httptest.NewServer(requireOAuth2(o.idp))
	return nil
}

func (o *oauthLab) close() {
	if o == nil {
		return
	}
	o.idp.Close()
	if o.api != nil {
		o.api.Close()
	}
}

// requireOAuth2 stands for an API behind a standard authorization server:
// it answers the token's client and scope to a bearer token the emulator
// issued, 401 to anything else.
func requireOAuth2(idp *emulator.OAuth2) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		claims, err := idp.Claims(tok)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"client_id": claims["client_id"], "scope": claims["scope"]})
	})
}

// addConfig adds the template values of the oauth2 providers.
func (o *oauthLab) addConfig(v map[string]string) {
	v["API"], v["Issuer"], v["OAuthTokenURL"] = hostOf(o.api), o.idp.Issuer, o.idp.TokenURL()
	v["OAuthSecret"], v["OAuthKeyFile"], v["EntraSecret"] = o.secret, o.keyFile, o.entraSecret
	v["EntraTokenURL"] = o.idp.URL + "/demo-tenant/oauth2/v2.0/token"
	v["BasicID"], v["JWTID"], v["EntraID"] = o.basicID, o.jwtID, o.entID
}

// The oauth2 providers' part of demoConfig.
var _ = template.Must(demoConfig.New("oauth2").Parse(`  oauth2:
    plugin: oauth2
    hosts: [{{printf "%q" .API}}]
    settings:
      issuer: {{printf "%q" .Issuer}}
      client_id: {{.BasicID}}
      client_secret: {{printf "%q" .OAuthSecret}}
      scope: orders.read
  oauth2-jwt:
    plugin: oauth2
    hosts: [{{printf "%q" .API}}]
    settings:
      token_url: {{printf "%q" .OAuthTokenURL}}
      client_id: {{.JWTID}}
      client_auth: private_key_jwt
      private_key_file: {{printf "%q" .OAuthKeyFile}}
      scope: orders.read
  azure-entra:
    plugin: azure
    hosts: [{{printf "%q" .API}}]
    settings:
      mode: entra
      token_url: {{printf "%q" .EntraTokenURL}}
      client_id: {{.EntraID}}
      client_secret: {{printf "%q" .EntraSecret}}
`))

// checks are the oauth2 providers' report lines.
func (o *oauthLab) checks(l *lab) []demoCheck {
	api := o.api.URL + "/v1/orders"
	return []demoCheck{
		{"oauth2", "HTTP", "client_secret_basic, issuer discovery: accepted by an API",
			l.httpCheck("oauth2", http.MethodGet, api, nil, `"client_id":"`+o.basicID+`"`)},
		{"oauth2-jwt", "HTTP", "private_key_jwt (ES256) token accepted by an API",
			l.httpCheck("oauth2-jwt", http.MethodGet, api, nil, `"client_id":"`+o.jwtID+`"`)},
		{"azure-entra", "HTTP", "Entra ID token (client_secret_post) for Cognitive Services",
			l.httpCheck("azure-entra", http.MethodGet, api, nil, `"scope":"https://cognitiveservices.azure.com/.default"`)},
	}
}
