package emulator

import (
	"encoding/base64"
	"math/big"
	"net/http"
	"net/url"
)

// wellKnownPath is the path of a metadata document for issuer: RFC 8414 §3.1
// inserts /.well-known/<name> between the host and the issuer's path
// (insert), OpenID Connect Discovery §4 appends it to the issuer's path.
func wellKnownPath(issuer, name string, insert bool) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return ""
	}
	path := u.EscapedPath()
	if path == "/" {
		path = ""
	}
	if insert {
		return "/.well-known/" + name + path
	}
	return path + "/.well-known/" + name
}

// assertionAlgs are the signing algorithms the emulator verifies on client
// and grant assertions.
var assertionAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}

// metadata is the authorization server metadata (RFC 8414 §2), which also
// serves as an OpenID provider configuration for the token side.
func (e *OAuth2) metadata(iss string) map[string]any {
	return map[string]any{
		"issuer":                                iss,
		"token_endpoint":                        iss + "/token",
		"jwks_uri":                              iss + "/jwks",
		"grant_types_supported":                 []string{GrantClientCredentials, GrantJWTBearer, GrantRefreshToken, GrantTokenExchange},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"},
		"token_endpoint_auth_signing_alg_values_supported": assertionAlgs,
		// No authorization endpoint: no response type is supported.
		"response_types_supported":              []string{},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"claims_parameter_supported":            true,
	}
}

func (e *OAuth2) serveDiscovery(w http.ResponseWriter, r *http.Request, iss string) {
	if e.DiscoveryFaults.apply(w, r) {
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	e.discoveries.Add(1)
	writeJSON(w, http.StatusOK, e.metadata(iss))
}

// serveJWKS answers the emulator's public key as a JWK Set (RFC 7517 §5).
func (e *OAuth2) serveJWKS(w http.ResponseWriter, r *http.Request) {
	if e.DiscoveryFaults.apply(w, r) {
		return
	}
	pub := e.signer.key.PublicKey
	b64 := base64.RawURLEncoding.EncodeToString
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": e.signer.kid,
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}
