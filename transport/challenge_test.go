package transport_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/sourcetest"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/transport"
)

const claimsJSON = `{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}`

// faultProvider is sourcetest.FaultChallenger with the fault plugin.
func faultProvider(t *testing.T, allowed string, args ...string) *host.Source {
	t.Helper()
	return sourcetest.FaultChallenger(t, testbin.Path("fault"), allowed, args...)
}

// challenging is a resource server: /open takes any token; elsewhere a
// default token (tok-N) is refused with status and challenge, and a
// challenge token (ch-N.<scopes>.<claims>...) passes if accept says so,
// else gets the same refusal again.
func challenging(t *testing.T, status int, challenge string, accept func(tok string) bool) *recorder {
	t.Helper()
	rec := newRecorder(t, false, nil)
	rec.Config.Handler = recordThen(rec, func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if r.URL.Path == "/open" || strings.HasPrefix(tok, "ch-") && accept(tok) {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("WWW-Authenticate", challenge)
		w.WriteHeader(status)
	})
	return rec
}

// recordThen records each request in rec, then serves it with h.
func recordThen(rec *recorder, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, seen{path: r.URL.Path, header: r.Header.Clone(), body: string(b)})
		rec.mu.Unlock()
		h(w, r)
	})
}

func auths(rec *recorder) []string {
	var out []string
	for _, s := range rec.seen() {
		out = append(out, s.path+" "+s.header.Get("Authorization")+" "+s.body)
	}
	return out
}

func wantAuths(t *testing.T, rec *recorder, want ...string) {
	t.Helper()
	got := auths(rec)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the server saw\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func hasScope(scope string) func(string) bool {
	return func(tok string) bool { return strings.Contains("+"+strings.Split(tok, ".")[1]+"+", "+"+scope+"+") }
}

func TestInsufficientScopeIsAnsweredWithAnAllowedScopeOnce(t *testing.T) {
	rec := challenging(t, http.StatusForbidden, `Bearer realm="api", error="insufficient_scope", scope="write"`, hasScope("write"))
	tr := transport.New(rec.base(t), faultProvider(t, "read write"))
	for range 2 {
		if code, _ := do(t, tr, newRequest(t, "POST", rec.URL+"/w", strings.NewReader("body"))); code != http.StatusOK {
			t.Fatalf("status %d, want 200 with the challenge's token", code)
		}
	}
	if code, _ := do(t, tr, newRequest(t, "GET", rec.URL+"/open", nil)); code != http.StatusOK {
		t.Fatalf("open: status %d", code)
	}
	// One fetch for the challenge (ch-2), reused; the default token still
	// serves everything first.
	wantAuths(t, rec,
		"/w Bearer tok-1 body", "/w Bearer ch-2.write... body",
		"/w Bearer tok-1 body", "/w Bearer ch-2.write... body",
		"/open Bearer tok-1 ")
}

func TestAScopeBeyondChallengeScopesGetsTheResponseAsItCame(t *testing.T) {
	rec := challenging(t, http.StatusForbidden, `Bearer error="insufficient_scope", scope="admin"`, hasScope("admin"))
	tr := transport.New(rec.base(t), faultProvider(t, "write"))
	for range 2 {
		if code, body := do(t, tr, newRequest(t, "GET", rec.URL+"/a", nil)); code != http.StatusForbidden || body != "" {
			t.Fatalf("status %d body %q, want the 403 as it came", code, body)
		}
	}
	if code, _ := do(t, tr, newRequest(t, "GET", rec.URL+"/open", nil)); code != http.StatusOK {
		t.Fatal("open refused")
	}
	wantAuths(t, rec, "/a Bearer tok-1 ", "/a Bearer tok-1 ", "/open Bearer tok-1 ")
}

func TestAnEntraClaimsChallengeIsAnsweredWithATokenCarryingTheClaims(t *testing.T) {
	enc := base64.StdEncoding.EncodeToString([]byte(claimsJSON))
	want := base64.RawURLEncoding.EncodeToString([]byte(claimsJSON))
	rec := challenging(t, http.StatusUnauthorized,
		`Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="`+enc+`"`,
		func(tok string) bool { return strings.Split(tok, ".")[2] == want })
	tr := transport.New(rec.base(t), faultProvider(t, ""))
	if code, _ := do(t, tr, newRequest(t, "GET", rec.URL+"/c", nil)); code != http.StatusOK {
		t.Fatalf("status %d, want 200 with the claims' token", code)
	}
	wantAuths(t, rec, "/c Bearer tok-1 ", "/c Bearer ch-2.."+want+".. ")
}

func TestInvalidTokenIsOneRefetchOfTheDefaultToken(t *testing.T) {
	rec := newRecorder(t, false, nil)
	rec.Config.Handler = recordThen(rec, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="revoked"`)
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	tr := transport.New(rec.base(t), faultProvider(t, "write"))
	if code, _ := do(t, tr, newRequest(t, "GET", rec.URL+"/i", nil)); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	wantAuths(t, rec, "/i Bearer tok-1 ", "/i Bearer tok-2 ")
}

func TestAServerThatChallengesForeverCostsOneFetchAndNoLoop(t *testing.T) {
	rec := challenging(t, http.StatusUnauthorized, `Bearer error="insufficient_scope", scope="write"`, func(string) bool { return false })
	tr := transport.New(rec.base(t), faultProvider(t, "write"))
	for range 3 {
		if code, _ := do(t, tr, newRequest(t, "GET", rec.URL+"/f", nil)); code != http.StatusUnauthorized {
			t.Fatalf("status %d, want the second challenge's 401", code)
		}
	}
	wantAuths(t, rec,
		"/f Bearer tok-1 ", "/f Bearer ch-2.write... ",
		"/f Bearer tok-1 ", "/f Bearer ch-2.write... ",
		"/f Bearer tok-1 ", "/f Bearer ch-2.write... ")
}

func TestAChallengeTokenRejectedAsInvalidIsReplacedOnTheNextChallenge(t *testing.T) {
	rec := newRecorder(t, false, nil)
	rec.Config.Handler = recordThen(rec, func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("Authorization") {
		case "Bearer tok-1":
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="write"`)
			w.WriteHeader(http.StatusForbidden)
		case "Bearer ch-2.write...":
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	tr := transport.New(rec.base(t), faultProvider(t, "write"))
	if code, _ := do(t, tr, newRequest(t, "GET", rec.URL+"/r", nil)); code != http.StatusUnauthorized {
		t.Fatalf("first: status %d, want the 401 as it came", code)
	}
	if code, _ := do(t, tr, newRequest(t, "GET", rec.URL+"/r", nil)); code != http.StatusOK {
		t.Fatalf("second: status %d, want 200 with a fresh challenge token", code)
	}
	wantAuths(t, rec, "/r Bearer tok-1 ", "/r Bearer ch-2.write... ", "/r Bearer tok-1 ", "/r Bearer ch-3.write... ")
}

func TestAProviderThatCannotAnswerCostsNoFetch(t *testing.T) {
	for _, tt := range []struct {
		name    string
		allowed string
		args    []string
	}{
		{"a token source that answers no challenges", "-", nil},
		{"an old-protocol plugin", "write", []string{"--no-challenges"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := challenging(t, http.StatusUnauthorized, `Bearer error="insufficient_scope", scope="write"`, hasScope("write"))
			tr := transport.New(rec.base(t), faultProvider(t, tt.allowed, tt.args...))
			for range 2 {
				if code, _ := do(t, tr, newRequest(t, "GET", rec.URL+"/o", nil)); code != http.StatusUnauthorized {
					t.Fatalf("status %d, want the 401 as it came", code)
				}
			}
			if code, _ := do(t, tr, newRequest(t, "GET", rec.URL+"/open", nil)); code != http.StatusOK {
				t.Fatal("open refused")
			}
			wantAuths(t, rec, "/o Bearer tok-1 ", "/o Bearer tok-1 ", "/open Bearer tok-1 ")
		})
	}
}

func TestABodyThatCannotBeReplayedGetsNoChallengeFetch(t *testing.T) {
	rec := challenging(t, http.StatusForbidden, `Bearer error="insufficient_scope", scope="write"`, hasScope("write"))
	tr := transport.New(rec.base(t), faultProvider(t, "write"))
	req := newRequest(t, "POST", rec.URL+"/b", io.NopCloser(strings.NewReader("once")))
	if code, _ := do(t, tr, req); code != http.StatusForbidden {
		t.Fatalf("status %d, want the 403 as it came", code)
	}
	if code, _ := do(t, tr, newRequest(t, "GET", rec.URL+"/b", nil)); code != http.StatusOK {
		t.Fatal("replayable request not answered")
	}
	wantAuths(t, rec, "/b Bearer tok-1 once", "/b Bearer tok-1 ", "/b Bearer ch-2.write... ")
}

func TestAHostileChallengeHeaderIsAnOrdinaryRefusal(t *testing.T) {
	hostile := []string{
		"Bearer " + strings.Repeat(`realm="x", `, 5000) + `error="insufficient_scope", scope="write"`,
		`Bearer error="insufficient_scope", scope="write", realm="` + strings.Repeat("a", 20<<10) + `"`,
		`Bearer error="insufficient_scope, scope="write"`,
	}
	for _, h := range hostile {
		rec := challenging(t, http.StatusUnauthorized, h, hasScope("write"))
		tr := transport.New(rec.base(t), faultProvider(t, "write"))
		if code, _ := do(t, tr, newRequest(t, "GET", rec.URL+"/h", nil)); code != http.StatusUnauthorized {
			t.Fatalf("status %d, want the 401", code)
		}
		// No challenge was read: the ordinary 401 handling, one refetch.
		wantAuths(t, rec, "/h Bearer tok-1 ", "/h Bearer tok-2 ")
	}
}
