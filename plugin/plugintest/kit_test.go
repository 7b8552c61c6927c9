package plugintest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin"
)

// Each test here runs the kit against acme making one mistake, and
// asserts the kit fails it with a message that names the mistake and its
// fix.

// acmeSettings serves acmeUpstream on loopback until t's end, and returns
// settings that work with it.
func acmeSettings(t interface{ Cleanup(func()) }) map[string]string {
	srv := httptest.NewServer(acmeUpstream)
	t.Cleanup(srv.Close)
	return map[string]string{"token_url": srv.URL, "api_key": acmeKey}
}

func TestTheKitPassesACarefulProvider(t *testing.T) {
	runKit(t, func(t tb) { runProvider(t, acme{}, acmeSettings(t)) }).wantNoFailure(t)
	runKit(t, func(t tb) { runFaults(t, acme{}, acmeFaults("", DefaultFaults()...)) }).wantNoFailure(t)
}

// Issue 30 item 1: a provider that ignores its context fails the "no
// answer" fault a second past the deadline, naming the fix, instead of
// hanging until go test's timeout (or, with the SDK's client, passing
// after its 30 s timeout).
func TestTheKitFailsAProviderThatIgnoresItsContext(t *testing.T) {
	for _, breaks := range []string{ignoresContext, ignoresContextDef} {
		t.Run(breaks, func(t *testing.T) {
			rep := runKit(t, func(t tb) { runFaults(t, acme{breaks: breaks}, acmeFaults(breaks, noAnswer())) })
			rep.wantFailure(t, "no answer", "Token did not return within 1s of its context's deadline: pass ctx to the request (http.NewRequestWithContext)")
		})
	}
}

func noAnswer() Fault {
	for _, f := range DefaultFaults() {
		if f.Hang {
			return f
		}
	}
	panic("no Hang fault")
}

// Issue 30 item 3: an error the provider did not classify is said to be
// unclassified, with the fix, not "is temporary, want temporary".
func TestTheKitNamesAnUnclassifiedError(t *testing.T) {
	rep := runKit(t, func(t tb) { runFaults(t, acme{breaks: unclassified}, acmeFaults(unclassified, fault(t, "503"))) })
	rep.wantFailure(t, "503", "unclassified error", "wrap it with plugin.Temporary / Permanent / RateLimited")
	for _, e := range rep.errs {
		if strings.Contains(e, "is temporary, want temporary") {
			t.Errorf("the kit contradicts itself: %s", e)
		}
	}
}

// Issue 30 item 3: an offending error is quoted once, cut to 200 bytes,
// with its length.
func TestTheKitQuotesALongErrorOnceAndShort(t *testing.T) {
	rep := runKit(t, func(t tb) { runFaults(t, acme{breaks: quotesBody}, acmeFaults(quotesBody, fault(t, "503"))) })
	rep.wantFailure(t, "503", "bytes long, over 1024", "bytes)")
	for _, e := range rep.failures("503") {
		if n := strings.Count(e, "tokenplug/acme: upstream said"); n != 1 || len(e) > 600 {
			t.Errorf("the report quotes the error %d times in %d bytes, want once in a few hundred: %s", n, len(e), e)
		}
	}
}

// fault returns the default fault named name.
func fault(t reporter, name string) Fault {
	for _, f := range DefaultFaults() {
		if f.Name == name {
			return f
		}
	}
	t.Errorf("no default fault %q", name)
	return Fault{}
}

// Issue 30 item 6: a token source without TokenContext cannot be
// cancelled by the host.
func TestTheKitFailsATokenSourceWithoutTokenContext(t *testing.T) {
	rep := runKit(t, func(t tb) { runProvider(t, acme{breaks: tokenOnly}, acmeSettings(t)) })
	rep.wantFailure(t, "/token", "has Token but no TokenContext", "implement TokenContext(ctx)")
}

// Issue 30 item 6: a URL setting parsed with url.Parse accepts plain http
// to any host, and would send the key in clear.
func TestTheKitFailsAURLSettingParsedWithURLParse(t *testing.T) {
	rep := runKit(t, func(t tb) { runProvider(t, acme{breaks: urlParse}, acmeSettings(t)) })
	rep.wantFailure(t, "URL settings", `setting "token_url" accepted http://vendor.invalid/token`, "plugin.URL")
}

// Issue 30 item 2: a provider whose token_url defaults to the vendor's
// endpoint, tested with settings that leave it out, never reaches the
// vendor: the SDK's client refuses the dial before any DNS lookup, and the
// check fails naming the host.
func TestTheKitKeepsAProviderOffTheVendorsDefaultURL(t *testing.T) {
	rep := runKit(t, func(t tb) { runProvider(t, acme{breaks: vendorDefault}, map[string]string{"api_key": acmeKey}) })
	rep.wantFailure(t, "/token", "the provider tried to reach vendor.invalid:443", "before any DNS lookup")
}

// Issue 30 item 5: an expires_in of -5 let through is blamed on the
// provider's expiry handling, in-process.
func TestTheKitBlamesAnExpiryInThePastOnTheProvider(t *testing.T) {
	bad := BadAnswers(map[string]string{"expires_in -5": `{"access_token":"` + Marker + `","expires_in":-5}`}, Marker)
	rep := runKit(t, func(t tb) { runFaults(t, acme{breaks: rawExpiry}, acmeFaults(rawExpiry, bad...)) })
	rep.wantFailure(t, "expires_in -5", "expires_in -5 produced an expiry in the past: reject it with plugin.ExpiryAfterSeconds")
}

// Issue 30 item 2, through the host: vendorplug's token_url is required
// and defaults to https://vendor.invalid/token, so the "missing required
// setting token_url" check fetches from the default. The plugin's request
// goes to the kit's refusing proxy (it is not to loopback; Go asks a proxy
// without looking the name up), and the check fails naming the host.
func TestRunKeepsAPluginOffTheVendorsDefaultURL(t *testing.T) {
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"access_token":"vendorplug-token-0123456789"}`)
	}))
	defer tokens.Close()
	rep := runKit(t, func(t tb) {
		run(t, Config{Binary: testbin.Path("vendorplug"), Settings: map[string]string{"token_url": tokens.URL, "api_key": acmeKey}})
	})
	rep.wantFailure(t, "missing required setting token_url", "the plugin tried to reach vendor.invalid:443", "refused it")
	if n := len(rep.failures("token through the host")); n != 0 {
		t.Errorf("the token check, with token_url on loopback, failed: %q", rep.failures("token through the host"))
	}
}

// Issue 30 item 4: a setting whose value the provider sends as a
// credential fails unless marked Secret, in-process and against the kit's
// upstream; RunProvider sees the plain-http requests the SDK's client
// sends to loopback.
func TestTheKitFailsACredentialSettingNotMarkedSecret(t *testing.T) {
	const says = `setting "api_key" is sent as a credential (in header X-Api-Key) but is not marked Secret`
	runKit(t, func(t tb) { runProvider(t, acme{breaks: keyNotSecret}, acmeSettings(t)) }).
		wantFailure(t, "settings sent as credentials are marked Secret", says)
	runKit(t, func(t tb) { runFaults(t, acme{breaks: keyNotSecret}, acmeFaults(keyNotSecret, fault(t, "503"))) }).
		wantFailure(t, "settings sent as credentials are marked Secret", says)
}

func TestCredentialsIn(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/t?apikey=q-key&aud=x", nil)
	req.SetBasicAuth("client-id-1", "client-secret-1")
	req.Header.Set("Ocp-Apim-Subscription-Key", "sub-key")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	got := credentialsIn(req, []byte("grant_type=x&client_assertion=assertion-1&client_id=form-id"))
	want := map[string]string{
		"the Authorization header":         "client-secret-1", // RFC 7617 §2: the password, not the user-id
		"header Ocp-Apim-Subscription-Key": "sub-key",
		"query parameter apikey":           "q-key",
		"form field client_assertion":      "assertion-1",
	}
	if len(got) != len(want) {
		t.Errorf("credentials %q, want %q", got, want)
	}
	for _, c := range got {
		if want[c.where] != c.value {
			t.Errorf("credential %q in %s, want %q", c.value, c.where, want[c.where])
		}
	}
}

// Issue 30 item 3: a failure is reported at the test's call to the kit,
// not at a line in the kit's own files. The test runs itself again as a
// child process that calls RunProvider on a broken provider, and reads
// the child's output.
func TestAFailureIsReportedAtTheCallToTheKit(t *testing.T) {
	if os.Getenv("PLUGINTEST_CALL_SITE_CHILD") != "" {
		settings := acmeSettings(t)
		_, _, line, _ := runtime.Caller(0)
		fmt.Printf("the call is on line %d\n", line+2)
		RunProvider(t, acme{breaks: tokenOnly}, settings)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAFailureIsReportedAtTheCallToTheKit$", "-test.v")
	cmd.Env = append(os.Environ(), "PLUGINTEST_CALL_SITE_CHILD=1")
	out, err := cmd.CombinedOutput()
	var line int
	if _, scanErr := fmt.Sscanf(string(out[strings.Index(string(out), "the call is on line"):]), "the call is on line %d", &line); err == nil || scanErr != nil {
		t.Fatalf("the child passed, or said nothing of its call (%v, %v):\n%s", err, scanErr, out)
	}
	if want := fmt.Sprintf("kit_test.go:%d: token source", line); !strings.Contains(string(out), want) {
		t.Errorf("the failure is not reported at the call to the kit (%s):\n%s", want, out)
	}
}

// Issue 30 item 5, through the host: a fault answered with a token that
// had already expired comes back as the host's "expired on arrival"; the
// kit blames the provider's expiry handling, and does not complain about
// the host's words before the provider's.
func TestThroughTheHostAnExpiredOnArrivalIsBlamedOnTheProvidersExpiryHandling(t *testing.T) {
	err := &plugin.Error{Provider: "fault-3", Kind: plugin.KindTemporary,
		Err: errors.New("token expired on arrival: it expired at 2026-01-01T00:00:00Z, 5s before it arrived")}
	r := &recorder{}
	checkFault(r, Fault{Body: `{"expires_in":-5}`, Want: plugin.ErrTemporary}, nil, err, errorShape{name: "tokenplug/acme", maxLen: MaxErrorLen, host: true}, nil)
	expectOne(t, "errors", r.errs, "let through an answer whose token had already expired")
	if strings.Contains(strings.Join(r.errs, ""), "does not name") {
		t.Errorf("the kit complains about the host's words: %q", r.errs)
	}
}
