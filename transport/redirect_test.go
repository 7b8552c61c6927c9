package transport_test

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/tokenplug/tokenplug/internal/sourcetest"
	"github.com/tokenplug/tokenplug/transport"
)

// via returns a URL on from that redirects to to.
func via(from *recorder, to string) string {
	return from.URL + "/go?" + url.Values{"to": {to}}.Encode()
}

func TestRedirectsKeepTheTokenOnlyOnTheOriginalOrigin(t *testing.T) {
	a := newRecorder(t, false, nil)
	b := newRecorder(t, false, nil)
	scopes := map[string][]string{
		"both hosts in scope": {a.host(), b.host()},
		"every host":          {"*"},
	}
	tests := []struct {
		name  string
		start string
		want  map[*recorder][]bool // per server, in order: did each request carry the token
	}{
		{"A to B: B gets no token", via(a, b.URL+"/landed"), map[*recorder][]bool{a: {true}, b: {false}}},
		{"A to A: both hops get it", via(a, a.URL+"/final"), map[*recorder][]bool{a: {true, true}}},
		{"A to B back to A: not after leaving", via(a, via(b, a.URL+"/final")), map[*recorder][]bool{a: {true, false}, b: {false}}},
	}
	for scope, hosts := range scopes {
		for _, tt := range tests {
			t.Run(scope+"/"+tt.name, func(t *testing.T) {
				na, nb := len(a.seen()), len(b.seen())
				tr := transport.New(a.base(t), &sourcetest.Rotating{}, transport.WithHosts(hosts...))
				client := &http.Client{Transport: tr}
				resp, err := client.Get(tt.start)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d", resp.StatusCode)
				}
				if h := resp.Request.Header.Get("Authorization"); h != "" {
					t.Errorf("the response's Request carries the token: %q", h)
				}
				for srv, want := range tt.want {
					got := srv.seen()[map[*recorder]int{a: na, b: nb}[srv]:]
					if len(got) != len(want) {
						t.Fatalf("server %s saw %d requests, want %d", srv.host(), len(got), len(want))
					}
					for i, r := range got {
						if sent := r.header.Get("Authorization") != ""; sent != want[i] {
							t.Errorf("server %s request %d (%s): token sent = %v, want %v", srv.host(), i, r.path, sent, want[i])
						}
					}
				}
			})
		}
	}
}
