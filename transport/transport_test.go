package transport_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/internal/sourcetest"
	"github.com/tokenplug/tokenplug/transport"
)

func TestRequestCarriesBearerToken(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := map[bool]string{false: "http", true: "https"}[tls]
		t.Run(name, func(t *testing.T) {
			rec := newRecorder(t, tls, nil)
			tr := transport.New(rec.base(t), &sourcetest.Rotating{}, transport.WithHosts(rec.host()))
			if code, _ := do(t, tr, newRequest(t, "GET", rec.URL+"/x", nil)); code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			if got := rec.seen()[0].header.Get("Authorization"); got != "Bearer tok-1" {
				t.Fatalf("server saw Authorization %q, want %q", got, "Bearer tok-1")
			}
		})
	}
}

func TestCallerRequestIsNotModified(t *testing.T) {
	rec := newRecorder(t, false, nil)
	tr := transport.New(rec.base(t), &sourcetest.Rotating{}, transport.WithHosts("127.0.0.1"))
	req := newRequest(t, "POST", rec.URL+"/p?q=1", strings.NewReader("body"))
	req.Header.Set("X-Caller", "yes")
	wantURL := req.URL.String()

	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(req.Header) != 1 || req.Header.Get("X-Caller") != "yes" {
		t.Errorf("caller's headers changed: %v", req.Header)
	}
	if req.URL.String() != wantURL {
		t.Errorf("caller's URL changed: %s, want %s", req.URL, wantURL)
	}
	if resp.Request != req {
		t.Errorf("resp.Request is not the caller's request")
	}
	if got := rec.seen()[0]; got.header.Get("Authorization") != "Bearer tok-1" || got.header.Get("X-Caller") != "yes" {
		t.Errorf("server saw %v", got.header)
	}
}

func TestProviderHeaderCarriesRawValue(t *testing.T) {
	rec := newRecorder(t, false, nil)
	tok := tokenplug.WithHeader(&oauth2.Token{AccessToken: "key-123"}, "Ocp-Apim-Subscription-Key")
	tr := transport.New(rec.base(t), sourcetest.Static{Tok: tok}, transport.WithHosts("127.0.0.1"))
	do(t, tr, newRequest(t, "GET", rec.URL, nil))
	h := rec.seen()[0].header
	if got := h.Get("Ocp-Apim-Subscription-Key"); got != "key-123" {
		t.Errorf("Ocp-Apim-Subscription-Key = %q, want the raw key", got)
	}
	if got := h.Get("Authorization"); got != "" {
		t.Errorf("Authorization = %q, want none", got)
	}
}

func TestTokenErrorNamesProviderAndHidesSecrets(t *testing.T) {
	const secret = "apikey-SECRET-42"
	rec := newRecorder(t, false, nil)
	src := &sourcetest.Rotating{}
	tr := transport.New(rec.base(t), src, transport.WithHosts("127.0.0.1"))
	client := &http.Client{Transport: tr}
	// A first request succeeds, so the source has handed out a token that
	// must not appear in a later error either.
	resp, err := client.Get(rec.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	src.Fail(tokenplug.Permanent(errors.New("tokenplug/iam: token endpoint said 400: invalid apikey")))

	body := &closeTracker{Reader: strings.NewReader(secret)}
	req := newRequest(t, "POST", rec.URL+"/?"+url.Values{"k": {secret}}.Encode(), body)
	_, err = client.Do(req)
	if err == nil {
		t.Fatal("no error")
	}
	var te *transport.TokenError
	if !errors.As(err, &te) || te.Provider != "watson" {
		t.Fatalf("error %v (%T) is not a TokenError for watson", err, err)
	}
	if !errors.Is(err, tokenplug.ErrPermanent) {
		t.Errorf("errors.Is(err, tokenplug.ErrPermanent) = false for %v", err)
	}
	msg := te.Error()
	if !strings.Contains(msg, `"watson"`) || strings.Contains(msg, "tok-1") || strings.Contains(msg, secret) {
		t.Errorf("error text %q must name watson and contain no token or secret", msg)
	}
	if !body.closed {
		t.Error("request body not closed on the error path")
	}
	if n := len(rec.seen()); n != 1 {
		t.Errorf("server saw %d requests, want only the first", n)
	}
}

func TestTokenErrorReportsTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-ctx.Done()
	tr := transport.New(nil, &sourcetest.Rotating{}, transport.WithName("azure"), transport.WithHosts("127.0.0.1"))
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://127.0.0.1:1/", nil)
	_, err := (&http.Client{Transport: tr}).Do(req)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err %v: want a net.Error with Timeout() true", err)
	}
	if !strings.Contains(err.Error(), `"azure"`) {
		t.Errorf("err %q does not name the provider set WithName", err)
	}
}

func TestBadSourceFailsClosed(t *testing.T) {
	rec := newRecorder(t, false, nil)
	tests := []struct {
		name string
		src  transport.TokenSource
		want string
	}{
		{"nil source", nil, "nil TokenSource"},
		{"nil token", sourcetest.Static{Tok: nil}, "empty token"},
		{"empty access token", sourcetest.Static{Tok: &oauth2.Token{}}, "empty token"},
		{"FromOAuth2(nil)", transport.FromOAuth2(nil), "nil TokenSource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := transport.New(rec.base(t), tt.src, transport.WithHosts("127.0.0.1"))
			_, err := tr.RoundTrip(newRequest(t, "GET", rec.URL, nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "tokenplug/transport: ") {
				t.Fatalf("err = %v, want tokenplug/transport error containing %q", err, tt.want)
			}
		})
	}
	if n := len(rec.seen()); n != 0 {
		t.Errorf("server saw %d requests, want none", n)
	}
}

func TestCloseIdleConnectionsReachesBase(t *testing.T) {
	closed := make(chan struct{}, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			select {
			case closed <- struct{}{}:
			default:
			}
		}
	}
	srv.Start()
	defer srv.Close()
	base := &http.Transport{}
	client := &http.Client{Transport: transport.New(base, &sourcetest.Rotating{}, transport.WithHosts("127.0.0.1"))}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close() // the connection is now idle in the base's pool
	client.CloseIdleConnections()
	<-closed // the server sees it closed; a broken pass-through hangs here until the test times out
}

func TestConcurrentUse(t *testing.T) {
	const goroutines, perGoroutine = 50, 20
	rec := newRecorder(t, false, func(r *http.Request) int {
		if r.Header.Get("Authorization") != "Bearer tok-1" {
			return http.StatusUnauthorized
		}
		return http.StatusOK
	})
	client := &http.Client{Transport: transport.New(rec.base(t), &sourcetest.Rotating{}, transport.WithHosts(rec.host()))}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for range goroutines {
		wg.Go(func() {
			for range perGoroutine {
				resp, err := client.Get(rec.URL)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- errors.New(resp.Status)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(rec.seen()); n != goroutines*perGoroutine {
		t.Errorf("server saw %d requests, want %d", n, goroutines*perGoroutine)
	}
}

// closeTracker is a request body that records whether it was closed.
type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }
