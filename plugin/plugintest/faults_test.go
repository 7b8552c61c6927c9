package plugintest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/plugin"
)

func TestContainsPart(t *testing.T) {
	const secret = "Kq8Vm3Xr7Tb2Wn9L"
	for text, want := range map[string]bool{
		"no secret here":                 false,
		"key Kq8Vm3Xr7Tb2Wn9L":           true,
		"cut to a snippet: Kq8Vm3Xr...":  true,
		"its tail: ...7Tb2Wn9L":          true,
		"seven bytes of it: Vm3Xr7T":     false,
		"redacted: [REDACTED] key Kq8Vm": false,
	} {
		if got := ContainsPart(text, secret); got != want {
			t.Errorf("ContainsPart(%q) = %v, want %v", text, got, want)
		}
	}
	if !ContainsPart("pin 4711", "4711") || ContainsPart("anything", "") {
		t.Error("a short secret is looked for whole, an empty one never")
	}
}

func TestCheckFault(t *testing.T) {
	const key = "Kq8Vm3Xr7Tb2Wn9Lp4Hd"
	secrets := map[string]string{`setting "api_key"`: key}
	shape := errorShape{prefix: "tokenplug/acme: ", maxLen: MaxErrorLen}
	rate := Fault{Status: 429, RetryAfter: 7 * time.Second, Want: plugin.ErrRateLimited}
	bad200 := Fault{Body: "x", Secret: "LEAKEDTOKEN-0123456789", Says: "expires_in", Want: plugin.ErrTemporary}
	tests := []struct {
		name string
		f    Fault
		err  error
		want string // a substring of the one report expected; "" none
	}{
		{"as it should be", rate, plugin.RateLimited(errors.New("tokenplug/acme: 429"), 7*time.Second), ""},
		{"no error", rate, nil, "no error"},
		{"the wrong kind", Fault{Status: 401, Want: plugin.ErrPermanent}, plugin.Temporary(errors.New("tokenplug/acme: 401")), "is temporary, want permanent"},
		{"retry-after lost", rate, plugin.RateLimited(errors.New("tokenplug/acme: 429"), 0), "retry-after 0s"},
		{"another prefix", rate, plugin.RateLimited(errors.New("acme: 429"), 7*time.Second), `does not start with "tokenplug/acme: "`},
		{"the body whole", rate, plugin.RateLimited(errors.New("tokenplug/acme: "+strings.Repeat("x", 2000)), 7*time.Second), "2016 bytes long"},
		{"part of the key", rate, plugin.RateLimited(errors.New("tokenplug/acme: key Kq8Vm3Xr..."), 7*time.Second), `part of setting "api_key"`},
		{"part of the token", bad200, plugin.Temporary(errors.New("tokenplug/acme: bad expires_in for LEAKEDTOKEN")), "part of the token in the upstream's answer"},
		{"not saying what", bad200, plugin.Temporary(errors.New("tokenplug/acme: bad answer")), `does not say "expires_in"`},
		{"a redirect refused without saying so", Fault{Redirect: 307, Want: plugin.ErrPermanent}, plugin.Permanent(errors.New("tokenplug/acme: 307")),
			"plugin.ErrCrossOriginRedirect"},
		{"a hang not ended by the deadline", Fault{Hang: true, Want: plugin.ErrTemporary}, plugin.Temporary(errors.New("tokenplug/acme: EOF")),
			"context.DeadlineExceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			checkFault(r, tt.f, nil, tt.err, shape, secrets)
			expectOne(t, "errors", r.errs, tt.want)
			for _, e := range r.errs {
				if strings.Contains(e, "Kq8Vm3Xr") {
					t.Errorf("the report quotes the key: %s", e)
				}
			}
		})
	}
	r := &recorder{}
	checkFault(r, rate, nil, plugin.RateLimited(errors.New("tokenplug: provider x: 429"), 7*time.Second), errorShape{name: "acme", maxLen: MaxErrorLen}, nil)
	expectOne(t, "errors without a prefix", r.errs, `does not name the provider "acme"`)
}

func TestTheFaultServerAnswersWithTheFaultThenTheUpstream(t *testing.T) {
	srv := newFaultServer(realT{t}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "upstream") }))
	srv.echoSecrets([]string{"Kq8Vm3Xr7Tb2Wn9L"})
	get := func() (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/token", strings.NewReader("apikey=abc"))
		req.Header.Set("X-Api-Key", "header-value")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	srv.set(&Fault{Status: 429, RetryAfter: 7 * time.Second, Echo: true})
	resp, body := get()
	for _, want := range []string{"POST /token", "X-Api-Key: header-value", "apikey=abc", "Kq8Vm3Xr7Tb2Wn9L"} {
		if !strings.Contains(body, want) {
			t.Errorf("echo %q lacks %q", body[:200], want)
		}
	}
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" || len(body) <= MaxErrorLen {
		t.Errorf("status %d, Retry-After %q, %d bytes", resp.StatusCode, resp.Header.Get("Retry-After"), len(body))
	}
	srv.set(&Fault{Body: "big", Size: 100})
	if resp, body = get(); resp.StatusCode != 200 || len(body) != 103 {
		t.Errorf("sized: status %d, %d bytes", resp.StatusCode, len(body))
	}
	srv.set(&Fault{Redirect: http.StatusTemporaryRedirect})
	if resp, body = get(); !strings.Contains(body, "from-the-other-origin") { // a careless client follows it
		t.Errorf("redirect: status %d, body %q, want the other origin's answer", resp.StatusCode, body)
	}
	r := &recorder{}
	srv.checkTrap(r)
	expectOne(t, "trap", r.errs, "received 1 requests")
	srv.set(&Fault{Settings: map[string]string{"api_key": "other"}, Status: 500})
	if _, body = get(); body != "upstream" {
		t.Errorf("a Settings fault: %q, want the upstream's answer", body)
	}
	srv.set(nil)
	if _, body = get(); body != "upstream" {
		t.Errorf("no fault: %q, want the upstream's answer", body)
	}
}

// A Settings fault is fetched with the settings it changes, and no error
// may quote a secret's working value nor the value the fault gives it.
func TestFaultSettingsChangeTheSettingsAndAddTheirSecrets(t *testing.T) {
	desc := acme{}.Describe()
	working := map[string]string{"token_url": "http://127.0.0.1:1/t", "api_key": "Kq8Vm3Xr7Tb2Wn9Lp4Hd"}
	changed, secrets := faultSettings(desc, working, Fault{Settings: map[string]string{"api_key": "Zq7XbW-not-a-key", "token_url": "http://127.0.0.1:2/t"}})
	if fmt.Sprint(changed) != fmt.Sprint(map[string]string{"token_url": "http://127.0.0.1:2/t", "api_key": "Zq7XbW-not-a-key"}) {
		t.Errorf("changed settings %v", changed)
	}
	if got := values(secrets); fmt.Sprint(got) != fmt.Sprint([]string{"Kq8Vm3Xr7Tb2Wn9Lp4Hd", "Zq7XbW-not-a-key"}) {
		t.Errorf("secrets %q, want the working key and the changed one, not the URL", got)
	}
	if working["api_key"] != "Kq8Vm3Xr7Tb2Wn9Lp4Hd" {
		t.Error("faultSettings changed the working settings")
	}
}

// jsonUpstream issues tokens to the key Kq8Vm3Xr7Tb2Wn9Lp4Hd.
func jsonUpstream() (http.Handler, *atomic.Int64) {
	var issued atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "Kq8Vm3Xr7Tb2Wn9Lp4Hd" {
			http.Error(w, "unknown key", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"access_token":"access-token-number-%d","expires_in":3600}`, issued.Add(1))
	}), &issued
}

// The standard faults, and one of the provider's own, against a careful
// provider: every check passes, and every fault leaves the source working.
func TestRunFaultsPassesACarefulProvider(t *testing.T) {
	h, issued := jsonUpstream()
	faults := append(DefaultFaults(), Fault{Name: "no access_token", Body: `{"expires_in":60}`, Says: "access_token", Want: plugin.ErrTemporary},
		Fault{Name: "an unknown key, refused by the upstream itself", Settings: map[string]string{"api_key": "Zq7XbW-not-a-key-0123"},
			Says: "unknown key", Want: plugin.ErrPermanent})
	faults = append(faults, BadAnswers(map[string]string{"expires_in as a string": `{"access_token":"` + Marker + `","expires_in":"60"}`}, Marker)...)
	RunFaults(t, acme{}, Upstream{
		Handler: h,
		Settings: func(url string) map[string]string {
			return map[string]string{"token_url": url, "api_key": "Kq8Vm3Xr7Tb2Wn9Lp4Hd"}
		},
		Faults:      faults,
		ErrorPrefix: "tokenplug/acme: ",
		WithClient:  func(c *http.Client) plugin.Provider { return acme{client: c} },
	})
	if got, want := issued.Load(), int64(len(faults)+1); got != want {
		t.Errorf("the upstream issued %d tokens, want %d: one before the faults and one after each", got, want)
	}
}

func TestCheckErrorPassesACleanError(t *testing.T) {
	CheckError(t, plugin.Temporary(errors.New("tokenplug/acme: upstream returned 503")), "tokenplug/acme: ", "Kq8Vm3Xr7Tb2Wn9L")
}

func TestRecorderKeepsTheLastRequestAndPassesItOn(t *testing.T) {
	var seen string
	rec := &Recorder{Handler: http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = string(b)
	})}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	if r, _ := rec.Last(); r != nil {
		t.Fatalf("Last before any request = %v", r)
	}
	resp, err := srv.Client().Post(srv.URL+"/token", "application/x-www-form-urlencoded", strings.NewReader("apikey=k"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r, body := rec.Last()
	if r.Method != http.MethodPost || r.URL.Path != "/token" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" ||
		body != "apikey=k" || seen != body {
		t.Errorf("recorded %s %s %v %q; the handler saw %q", r.Method, r.URL.Path, r.Header, body, seen)
	}
}

func TestCheckSettingError(t *testing.T) {
	const secret = "Kq8Vm3Xr7Tb2Wn9L"
	for name, tt := range map[string]struct {
		err  error
		want string
	}{
		"one setting named":   {plugin.Errorf("region", "required"), ""},
		"accepted":            {nil, "want a configuration error"},
		"another setting":     {plugin.Errorf("zone", "required"), `naming "region" alone`},
		"two settings":        {plugin.SettingErrors{{Key: "region"}, {Key: "zone"}}, `naming "region" alone`},
		"not a setting error": {plugin.Permanent(errors.New("no")), "want a configuration error"},
		"quoting the secret":  {plugin.Errorf("region", "bad with key Kq8Vm3Xr..."), "quotes part of secret #1"},
	} {
		r := &recorder{}
		checkSettingError(r, tt.err, "region", secret)
		expectOne(t, name, r.errs, tt.want)
		if strings.Contains(strings.Join(r.errs, ""), "Kq8Vm3Xr") {
			t.Errorf("%s: the report quotes the secret: %q", name, r.errs)
		}
	}
}

func TestServeBodyAndUnsignedJWT(t *testing.T) {
	tok := UnsignedJWT(`{"iat":1700000000,"exp":1700000600}`)
	srv := ServeBody(t, "text/plain", tok)
	resp, err := srv.Client().Get(srv.URL + "/any/path")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if string(b) != tok || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("served %q as %q", b, resp.Header.Get("Content-Type"))
	}
	if d, ok := plugin.JWTLifetime(tok); !ok || d != 10*time.Minute {
		t.Errorf("JWTLifetime = %v, %v; want 10m", d, ok)
	}
}
