package oauth2

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

func TestMain(m *testing.M) { testbin.Main(m, testbin.Plugins("oauth2")) }

// seen is one request a test server received.
type seen struct {
	form   url.Values
	header http.Header
}

// server is a token endpoint on loopback that records each request and
// answers with answer (status, body); by default a Bearer token.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	seen   []seen                                     // guarded by mu
	answer func(n int, form url.Values) (int, string) // guarded by mu
}

const okBody = `{"access_token":"at-1","token_type":"Bearer","expires_in":3600}`

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{answer: func(int, url.Values) (int, string) { return 200, okBody }}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	s.seen = append(s.seen, seen{form: r.PostForm, header: r.Header.Clone()})
	status, body := s.answer(len(s.seen), r.PostForm)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func (s *server) setAnswer(f func(n int, form url.Values) (int, string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answer = f
}

func (s *server) last(t *testing.T) seen {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) == 0 {
		t.Fatal("the server received no request")
	}
	return s.seen[len(s.seen)-1]
}

// Test keys, generated once per test binary.
var (
	rsaKey, _      = rsa.GenerateKey(rand.Reader, 2048)
	otherRSAKey, _ = rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _       = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherECKey, _  = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
)

func pemOf(t testing.TB, key any, pkcs8 bool) string {
	t.Helper()
	var b *pem.Block
	switch k := key.(type) {
	case *rsa.PrivateKey:
		b = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		b = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	}
	if pkcs8 {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		b = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	return string(pem.EncodeToMemory(b))
}

// plugintestConfigure configures the provider in-process and returns its
// token source.
func plugintestConfigure(t *testing.T, settings map[string]string) *TokenSource {
	t.Helper()
	return plugintest.MustConfigure(t, Provider{}, settings).(*TokenSource)
}

// newAPI is a resource server on loopback that calls seen with each request.
func newAPI(t *testing.T, seen func(*http.Request)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen(r) }))
	t.Cleanup(srv.Close)
	return srv
}
