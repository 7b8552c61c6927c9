package plugintest

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// ServeBody starts a loopback server that answers every request with 200,
// the given Content-Type (none if empty) and body: a token endpoint that
// says exactly what a test needs, e.g. an odd but valid answer. The server
// closes when the test ends.
func ServeBody(t testing.TB, contentType, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// UnsignedJWT returns a JWT with the given claims JSON, alg "none" and no
// signature: what a provider that reads a token's exp and iat without
// verifying it (the issuer signed it, the resource server checks it) can
// be tested with. claims is used as is, so it may be malformed on purpose.
func UnsignedJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(claims)) + "."
}
