package emulator

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// ResourcePolicy is what a resource that RequireAuth protects demands of a
// token, beyond being an unexpired token of the emulator.
type ResourcePolicy struct {
	// Audience, if set, must be one of the token's aud values.
	Audience string
	// Scopes must all be in the token's scope.
	Scopes []string
	// Claims, if set, is a claims request (OpenID Connect Core §5.5,
	// {"access_token":{"name":{"value":...}}}) the token must satisfy: each
	// claim asked for with a value or values must carry it. A token from a
	// request with this claims parameter does.
	Claims string
}

// RequireAuth wraps a resource (your API) so that it serves only requests
// with Authorization: Bearer <a token p accepts>, and answers the others as
// RFC 6750 §3 says: no token, 401 with a bare Bearer challenge (§3.1: no
// error code); a token that is not valid or for another audience, 401
// error="invalid_token"; missing scopes, 403 error="insufficient_scope"
// with scope listing the policy's scopes; missing claims, 401
// error="insufficient_claims" with claims the policy's claims request in
// base64, as Entra ID's continuous access evaluation challenges (Entra ID
// uses standard base64 with padding; so does the emulator). Challenge
// tests point a client at it.
func (e *OAuth2) RequireAuth(p ResourcePolicy, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := bearerToken(r)
		if tok == "" {
			challenge(w, http.StatusUnauthorized, `Bearer realm="emulator"`)
			return
		}
		claims, err := e.Claims(tok)
		if err != nil || !hasAudience(claims, p.Audience) {
			challenge(w, http.StatusUnauthorized, `Bearer realm="emulator", error="invalid_token"`)
			return
		}
		if !hasScopes(claims, p.Scopes) {
			challenge(w, http.StatusForbidden, `Bearer realm="emulator", error="insufficient_scope", scope="`+strings.Join(p.Scopes, " ")+`"`)
			return
		}
		if !satisfies(claims, p.Claims) {
			enc := base64.StdEncoding.EncodeToString([]byte(p.Claims))
			challenge(w, http.StatusUnauthorized, `Bearer realm="emulator", error="insufficient_claims", claims="`+enc+`"`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func challenge(w http.ResponseWriter, status int, header string) {
	w.Header().Set("WWW-Authenticate", header)
	http.Error(w, http.StatusText(status), status)
}

func hasAudience(claims map[string]any, aud string) bool {
	if aud == "" {
		return true
	}
	switch v := claims["aud"].(type) {
	case string:
		return v == aud
	case []any:
		return slices.Contains(v, any(aud))
	}
	return false
}

func hasScopes(claims map[string]any, want []string) bool {
	sc, _ := claims["scope"].(string)
	have := strings.Fields(sc)
	for _, s := range want {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
}

// satisfies reports whether claims carry every value the claims request
// asks for (compared as JSON values).
func satisfies(claims map[string]any, request string) bool {
	wanted, err := requestedClaims(request)
	if err != nil {
		return false
	}
	for name, v := range wanted {
		if !reflect.DeepEqual(jsonValue(claims[name]), jsonValue(v)) {
			return false
		}
	}
	return true
}

// jsonValue normalizes v to what encoding/json decodes it to.
func jsonValue(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}
