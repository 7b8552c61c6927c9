package plugintest

import (
	"cmp"
	"context"
	"errors"
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

// maxErrorLen bounds an error message: an upstream's body must be cut to a
// snippet, not carried whole into logs and across the plugin boundary.
const maxErrorLen = 1024

// faultDeadline ends the requests of a Hang fault: the upstream never
// answers, so any short deadline does.
const faultDeadline = 100 * time.Millisecond

// RunFaults checks, in-process, how a provider reports each of the
// upstream's faults: the error's kind (and retry-after), its prefix, its
// length, and that it quotes no 8-byte piece of a secret setting's value,
// of a token in a bad answer, or of a token fetched before. One token
// source serves every fault, as in a host: after each fault the upstream
// behaves again and the source must fetch a token, so no fault leaves it
// broken.
func RunFaults(t *testing.T, p plugin.Provider, u Upstream) {
	t.Helper()
	if u.Settings == nil {
		t.Fatal("plugintest: Upstream.Settings is nil")
	}
	srv := newFaultServer(t, u.Handler)
	desc := p.Describe()
	settings := u.Settings(srv.URL)
	ts := MustConfigure(t, p, settings)
	secrets := secretsOf(desc, settings)
	srv.echoSecrets(values(secrets))
	// Tokens are looked for whole: JWTs share their first bytes.
	tokens := map[string]string{}
	fetchOK := func(t *testing.T, when string) {
		t.Helper()
		tok, err := fetch(ts)
		if err != nil {
			t.Fatalf("Token %s: %s", when, redactParts(err.Error(), values(secrets)...))
		}
		if tok != nil && len(tok.AccessToken) >= minTokenLen {
			tokens[fmt.Sprintf("token #%d fetched from the upstream", len(tokens)+1)] = tok.AccessToken
		}
	}
	fetchOK(t, "with no fault")
	want := errorShape{prefix: u.ErrorPrefix, name: desc.Name, maxLen: maxErrorLen}
	for _, f := range u.faultList() {
		t.Run(f.Name, func(t *testing.T) {
			if _, ok := ts.(plugin.ContextTokenSource); f.Hang && !ok {
				t.Skip("the token source has no TokenContext: a request that never ends cannot be cut short")
			}
			src, named := ts, secrets
			if f.Settings != nil {
				var changed map[string]string
				changed, named = faultSettings(desc, settings, f)
				src = MustConfigure(t, p, changed)
			}
			srv.set(&f)
			_, err := fetchWithin(src, f.Hang)
			srv.set(nil)
			checkFault(t, f, err, want, named)
			srv.checkTrap(t)
			if err != nil {
				checkNoSecrets(t, "the error", err.Error(), tokens)
			}
			fetchOK(t, "after the fault cleared")
		})
	}
	if u.WithClient != nil {
		runWithClient(t, u, desc, settings, srv, want, secrets)
	}
}

// runWithClient checks the faults that depend on the HTTP client with the
// provider WithClient returns: the client's own timeout is temporary too,
// and a client of the provider's own follows no redirect to another origin.
func runWithClient(t *testing.T, u Upstream, desc plugin.Description, settings map[string]string, srv *faultServer, want errorShape, secrets map[string]string) {
	for _, f := range u.faultList() {
		if f.Redirect == 0 {
			continue
		}
		t.Run(f.Name+" with the provider's own client", func(t *testing.T) {
			srv.set(&f)
			defer srv.set(nil)
			_, err := MustConfigure(t, u.WithClient(&http.Client{}), settings).Token()
			checkFault(t, f, err, want, secrets)
			srv.checkTrap(t)
		})
	}
	t.Run("no answer within the HTTP client's timeout", func(t *testing.T) {
		srv.set(&Fault{Hang: true})
		defer srv.set(nil)
		_, err := MustConfigure(t, u.WithClient(&http.Client{Timeout: faultDeadline}), settings).Token()
		checkFault(t, Fault{Want: plugin.ErrTemporary}, err, want, secrets)
	})
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

// fetchWithin fetches a token, within faultDeadline if the fault hangs.
func fetchWithin(ts oauth2.TokenSource, hang bool) (*oauth2.Token, error) {
	if !hang {
		return fetch(ts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), faultDeadline)
	defer cancel()
	return ts.(plugin.ContextTokenSource).TokenContext(ctx)
}

// errorShape is what every error of a provider must look like.
type errorShape struct {
	prefix string // the message starts with it, if set
	name   string // else the message names the provider
	maxLen int
	host   bool // seen through the host: only the kind, retry-after and text cross
}

// checkFault reports what is wrong with the error a provider returned for
// fault f; secrets maps a name to each value no error may quote a piece of.
func checkFault(r reporter, f Fault, err error, shape errorShape, secrets map[string]string) {
	r.Helper()
	if err == nil {
		r.Errorf("no error; want a %v error", f.Want)
		return
	}
	named := maps.Clone(secrets)
	if f.Secret != "" {
		named["the token in the upstream's answer"] = f.Secret
	}
	msg := err.Error()
	shown := redactParts(msg, values(named)...)
	if !errors.Is(err, f.Want) {
		r.Errorf("error %q is %v, want %v", shown, plugin.KindOf(err), f.Want)
	}
	if f.RetryAfter > 0 && plugin.RetryAfterOf(err) != f.RetryAfter {
		r.Errorf("error %q carries retry-after %v, want the upstream's %v", shown, plugin.RetryAfterOf(err), f.RetryAfter)
	}
	if f.Redirect != 0 && !shape.host && !errors.Is(err, plugin.ErrCrossOriginRedirect) {
		r.Errorf("error %q does not match plugin.ErrCrossOriginRedirect (use plugin.Do or plugin.NewHTTPClient)", shown)
	}
	if f.Hang && !errors.Is(err, context.DeadlineExceeded) {
		r.Errorf("error %q does not match context.DeadlineExceeded", shown)
	}
	if f.Says != "" && !strings.Contains(msg, f.Says) {
		r.Errorf("error %q does not say %q", shown, f.Says)
	}
	checkShape(r, err, shape, named)
}

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
func runHostFaults(t *testing.T, h *harness, desc plugin.Description, u Upstream, timeout time.Duration) {
	if u.Settings == nil {
		t.Fatal("plugintest: Config.Upstream.Settings is nil")
	}
	srv := newFaultServer(t, u.Handler)
	settings := u.Settings(srv.URL)
	secrets := secretsOf(desc, settings)
	srv.echoSecrets(values(secrets))
	shape := errorShape{name: cmp.Or(strings.TrimSuffix(u.ErrorPrefix, ": "), desc.Name), maxLen: maxErrorLen + 256, // + the host's words
		host: true}
	for i, f := range u.faultList() {
		if f.Hang {
			continue // the host's own deadline would answer first
		}
		t.Run(f.Name, func(t *testing.T) {
			s, named := settings, secrets
			if f.Settings != nil {
				s, named = faultSettings(desc, settings, f)
			}
			src := h.register(t, fmt.Sprintf("fault-%d", i), s)
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			srv.set(&f)
			defer srv.set(nil)
			_, err := src.Token(ctx)
			checkFault(t, f, err, shape, named)
			srv.checkTrap(t)
		})
	}
}
