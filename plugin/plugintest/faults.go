package plugintest

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// Fault is one way a provider's upstream can answer badly, and the error
// kind the provider must report for it. A Fault with no Status answers 200.
type Fault struct {
	// Name names the sub-test.
	Name string
	// Status is the HTTP status to answer with; 0 means 200.
	Status int
	// RetryAfter, if set, is sent as a Retry-After header in whole
	// seconds, and the error must carry it (plugin.RetryAfterOf).
	RetryAfter time.Duration
	// Body is the body to answer with.
	Body string
	// Echo, if set, answers with a body that echoes the request (its
	// headers, body and every secret setting's value): the error must still
	// quote no part of a secret.
	Echo bool
	// Size, if set, appends that many bytes to the body.
	Size int
	// Redirect, if set, answers with this redirect status (302, 307, 308)
	// to another origin: the provider must refuse to follow it (a
	// permanent error matching plugin.ErrCrossOriginRedirect), and the
	// other origin must see no request, which would carry the credentials.
	Redirect int
	// Hang, if set, never answers: the request must end with the caller's
	// deadline. Run skips it (the host's own deadline answers first).
	Hang bool
	// Want is the kind the error must have: plugin.ErrPermanent,
	// plugin.ErrTemporary or plugin.ErrRateLimited.
	Want error
	// Says, if set, must appear in the error message: the provider says
	// what was wrong.
	Says string
	// Secret, if set, is a value in Body (a token in a bad 200) of which
	// the error must not quote any 8-byte piece.
	Secret string
	// Settings, if set, change some of the working settings, e.g. to a
	// key the vendor does not know, and nothing is injected: the upstream
	// answers as itself. The fault is fetched with a token source of its
	// own, configured with the changed settings, so that the vendor's own
	// refusal is checked like the other faults; the error must quote no
	// piece of a secret setting's working value nor of its changed one.
	Settings map[string]string
}

// DefaultFaults returns the faults every token endpoint should survive:
// the credentials rejected (400, 401, 403: permanent), a rate limit (429
// with Retry-After: rate limited with that retry-after), server trouble
// (500, 502, 503: temporary), 200s that are not a token answer (empty,
// blank, HTML, text, bytes that are not UTF-8, truncated JSON holding a
// token, an echo of the request, a body over plugin.MaxBodySize:
// temporary), redirects to another origin (302, 307, 308: permanent, not
// followed) and no answer at all (temporary, ending with the caller's
// deadline). Every error status echoes the request, so an error that
// quotes the upstream's body unredacted is caught.
func DefaultFaults() []Fault {
	faults := []Fault{
		{Name: "429 with Retry-After", Status: 429, RetryAfter: 7 * time.Second, Echo: true, Want: plugin.ErrRateLimited},
		{Name: "a 200 echoing the request", Echo: true, Want: plugin.ErrTemporary},
		{Name: "an empty 200", Want: plugin.ErrTemporary},
		{Name: "a blank 200", Body: "  \r\n", Want: plugin.ErrTemporary},
		{Name: "an HTML 200", Body: "<html><body>Service Unavailable</body></html>", Want: plugin.ErrTemporary},
		{Name: "a text 200", Body: "not a token", Want: plugin.ErrTemporary},
		{Name: "a 200 that is not UTF-8", Body: "<html>\x00\xff not a token {", Want: plugin.ErrTemporary},
		{Name: "a truncated JSON 200 holding a token", Body: `{"access_token":"` + Marker + `","expires_in":36`,
			Secret: Marker, Want: plugin.ErrTemporary},
		{Name: "a 200 over MaxBodySize", Size: plugin.MaxBodySize + 1, Want: plugin.ErrTemporary},
		{Name: "no answer", Hang: true, Want: plugin.ErrTemporary},
	}
	for _, code := range []int{302, 307, 308} {
		faults = append(faults, Fault{Name: fmt.Sprintf("%d to another origin", code), Redirect: code, Want: plugin.ErrPermanent})
	}
	for _, code := range []int{400, 401, 403} {
		faults = append(faults, Fault{Name: strconv.Itoa(code), Status: code, Echo: true, Want: plugin.ErrPermanent})
	}
	for _, code := range []int{500, 502, 503} {
		faults = append(faults, Fault{Name: strconv.Itoa(code), Status: code, Echo: true, Want: plugin.ErrTemporary})
	}
	return faults
}

// BadAnswers returns a Fault for each of bodies: a 200 answering it,
// named after its key, in key order, which the provider must refuse as a
// temporary error quoting no piece of token (of the body itself when
// token is empty, e.g. a bare JWT). Append them to DefaultFaults() for a
// vendor's own ways of answering nonsense.
func BadAnswers(bodies map[string]string, token string) []Fault {
	var faults []Fault
	for _, name := range slices.Sorted(maps.Keys(bodies)) {
		faults = append(faults, Fault{Name: "a 200 with " + name, Body: bodies[name], Secret: cmp.Or(token, bodies[name]), Want: plugin.ErrTemporary})
	}
	return faults
}

// Upstream is the endpoint a provider fetches tokens from, for the fault
// checks of RunFaults and Run: the kit serves Handler on loopback and
// answers with each fault in turn instead.
type Upstream struct {
	// Handler answers as the vendor does when no fault is injected: a
	// local emulator of the vendor.
	Handler http.Handler
	// Settings returns settings with which the provider fetches a token
	// from the upstream served at url (http://127.0.0.1:port, no path).
	Settings func(url string) map[string]string
	// Faults to inject; nil means DefaultFaults(). Append a provider's own
	// to DefaultFaults() to keep the standard ones.
	Faults []Fault
	// ErrorPrefix, if set, starts every error of the provider in-process
	// ("tokenplug/acme: "); if not, errors must name the provider.
	ErrorPrefix string
	// WithClient, if set, returns the provider with the HTTP client it is
	// given: RunFaults then checks that the client's own timeout, too, is a
	// temporary error, and that with a client of the caller's the provider
	// still follows no redirect to another origin.
	WithClient func(*http.Client) plugin.Provider
}

// faultDeadline ends the requests of a Hang fault: the upstream never
// answers, so any short deadline does.
const faultDeadline = 100 * time.Millisecond

// RunFaults checks, in-process, how a provider reports each of the
// upstream's faults: the error's kind (and retry-after), its prefix, its
// length, and that it quotes no 8-byte piece of a secret setting's value,
// of a token in a bad answer, or of a token fetched before. One token
// source serves every fault, as in a host: after each fault the upstream
// behaves again and the source must fetch a token, so no fault leaves it
// broken. Every fetch is bounded: a provider that does not return within
// a second of its context's deadline fails, and its request is cut off.
func RunFaults(t *testing.T, p plugin.Provider, u Upstream) {
	t.Helper()
	runFaults(realT{t}, p, u)
}

func runFaults(t tb, p plugin.Provider, u Upstream) {
	t.Helper()
	if u.Settings == nil {
		t.Fatalf("plugintest: Upstream.Settings is nil")
	}
	srv := newFaultServer(t, u.Handler)
	desc := p.Describe()
	settings := u.Settings(srv.URL)
	ts := mustConfigure(t, p, settings)
	secrets := secretsOf(desc, settings)
	srv.echoSecrets(values(secrets))
	// Tokens are looked for whole: JWTs share their first bytes.
	tokens := map[string]string{}
	fetchOK := func(t tb, when string) {
		t.Helper()
		tok, err, ok := fetchBounded(t, ts, fetchTimeout, srv.abort)
		if !ok {
			t.Fatalf("Token %s did not return", when)
		}
		if err != nil {
			t.Fatalf("Token %s: %s", when, quoteErr(redactParts(err.Error(), values(secrets)...)))
		}
		if tok != nil && len(tok.AccessToken) >= minTokenLen {
			tokens[fmt.Sprintf("token #%d fetched from the upstream", len(tokens)+1)] = tok.AccessToken
		}
	}
	fetchOK(t, "with no fault")
	want := errorShape{prefix: u.ErrorPrefix, name: desc.Name, maxLen: MaxErrorLen}
	for _, f := range u.faultList() {
		t.run(f.Name, func(t tb) {
			t.Helper()
			t.Helper()
			if _, ok := ts.(plugin.ContextTokenSource); f.Hang && !ok {
				t.Fatalf("token source %T has no TokenContext method: a request that never ends cannot be cut short; implement TokenContext(ctx) and %s", ts, fixContext)
			}
			src, named := ts, secrets
			if f.Settings != nil {
				var changed map[string]string
				changed, named = faultSettings(desc, settings, f)
				src = mustConfigure(t, p, changed)
			}
			srv.set(&f)
			tok, err, ok := fetchBounded(t, src, faultTimeout(f), srv.abort)
			srv.set(nil)
			if !ok {
				return
			}
			checkFault(t, f, tok, err, want, named)
			srv.checkTrap(t)
			if err != nil {
				checkNoSecrets(t, "the error", err.Error(), tokens)
			}
			fetchOK(t, "after the fault cleared")
		})
	}
	if u.WithClient != nil {
		runWithClient(t, u, settings, srv, want, secrets)
	}
	srv.checkSecretFlags(t, desc, settings)
}

// fetchTimeout bounds a fetch from a loopback upstream that answers.
const fetchTimeout = 30 * time.Second

// faultTimeout is the deadline of the context a fault's fetch gets.
func faultTimeout(f Fault) time.Duration {
	if f.Hang {
		return faultDeadline
	}
	return fetchTimeout
}

// runWithClient checks the faults that depend on the HTTP client with the
// provider WithClient returns: the client's own timeout is temporary too,
// and a client of the provider's own follows no redirect to another origin.
func runWithClient(t tb, u Upstream, settings map[string]string, srv *faultServer, want errorShape, secrets map[string]string) {
	t.Helper()
	for _, f := range u.faultList() {
		if f.Redirect == 0 {
			continue
		}
		t.run(f.Name+" with the provider's own client", func(t tb) {
			t.Helper()
			t.Helper()
			srv.set(&f)
			defer srv.set(nil)
			ts := mustConfigure(t, u.WithClient(guardedClient(0)), settings)
			if tok, err, ok := fetchBounded(t, withoutContext{ts}, fetchTimeout, srv.abort); ok {
				checkFault(t, f, tok, err, want, secrets)
				srv.checkTrap(t)
			}
		})
	}
	t.run("no answer within the HTTP client's timeout", func(t tb) {
		t.Helper()
		t.Helper()
		srv.set(&Fault{Hang: true})
		defer srv.set(nil)
		ts := mustConfigure(t, u.WithClient(guardedClient(faultDeadline)), settings)
		if tok, err, ok := fetchBounded(t, withoutContext{ts}, faultDeadline, srv.abort); ok {
			checkFault(t, Fault{Want: plugin.ErrTemporary}, tok, err, want, secrets)
		}
	})
}

// withoutContext hides a token source's TokenContext, so that only the
// HTTP client's own timeout can end its fetch.
type withoutContext struct{ ts oauth2.TokenSource }

func (w withoutContext) Token() (*oauth2.Token, error) { return w.ts.Token() }

// values returns the values of m, longest first, for plugin.Redact.
func values(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// runHostFaults checks each fault but Hang through the host, with a
// plugin process of its own (a host backs off after an error, so a source
// that failed is not asked again at once): the kind, retry-after and
// message cross the plugin boundary, and the host's error still quotes no
// piece of a secret.
func runHostFaults(t tb, h *harness, desc plugin.Description, u Upstream, timeout time.Duration) {
	t.Helper()
	if u.Settings == nil {
		t.Fatalf("plugintest: Config.Upstream.Settings is nil")
	}
	srv := newFaultServer(t, u.Handler)
	settings := u.Settings(srv.URL)
	secrets := secretsOf(desc, settings)
	srv.echoSecrets(values(secrets))
	shape := errorShape{name: cmp.Or(strings.TrimSuffix(u.ErrorPrefix, ": "), desc.Name), maxLen: MaxErrorLen, host: true}
	for i, f := range u.faultList() {
		if f.Hang {
			continue // the host's own deadline would answer first
		}
		t.run(f.Name, func(t tb) {
			t.Helper()
			t.Helper()
			s, named := settings, secrets
			if f.Settings != nil {
				s, named = faultSettings(desc, settings, f)
			}
			src := h.register(t, fmt.Sprintf("fault-%d", i), s)
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			srv.set(&f)
			defer srv.set(nil)
			tok, err := src.Token(ctx)
			checkFault(t, f, tok, err, shape, named)
			srv.checkTrap(t)
		})
	}
	srv.checkSecretFlags(t, desc, settings)
}

// faultSettings returns settings changed by f.Settings, and the secrets no
// error may quote: every secret setting's working value and changed one.
func faultSettings(desc plugin.Description, settings map[string]string, f Fault) (map[string]string, map[string]string) {
	changed := maps.Clone(settings)
	maps.Copy(changed, f.Settings)
	secrets := secretsOf(desc, settings)
	for _, s := range desc.Settings {
		if v := f.Settings[s.Key]; s.Secret && v != "" {
			secrets[fmt.Sprintf("the value the fault gives secret setting %q", s.Key)] = v
		}
	}
	return changed, secrets
}

func (u Upstream) faultList() []Fault {
	if u.Faults == nil {
		return DefaultFaults()
	}
	return u.Faults
}
