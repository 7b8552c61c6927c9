package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/hostconfig"
	"github.com/tokenplug/tokenplug/transport"
)

var getCmd = &command{
	name:    "get",
	summary: "make an HTTP request with a provider's token, like a small curl",
	help: `Usage: tokenplug get URL [-X METHOD] [-d DATA|@FILE] [-H "Name: value"]... [-v] [-f] [--provider NAME] [--no-cache]

Sends one request through tokenplug's transport, which adds the token of the
provider whose hosts match URL's host (or of --provider, whose hosts must
then match). The response body goes to stdout. Like curl, the exit status
is 0 whatever the HTTP status, unless -f is given: then a non-2xx status
exits 1 (the body is still printed). -v prints the request and response
headers to stderr, with credentials shortened to their first 4 characters.
-d sends DATA (or FILE's contents with @FILE, stdin with @-), as
application/x-www-form-urlencoded unless -H sets Content-Type, and makes the
method POST unless -X says otherwise.

The token comes from the per-user token cache, as with "tokenplug token"
(--no-cache neither reads nor writes tokens there). A token the server refuses
with 401 is replaced once, in the cache too.

Examples:
  tokenplug get https://api.us-south.speech-to-text.watson.cloud.ibm.com/v1/models
  tokenplug get -v -X POST -H "Content-Type: application/json" -d @req.json https://api.example.com/v1/jobs
`,
	run: runGet,
}

// headerList is a repeatable -H flag.
type headerList []string

func (h *headerList) String() string     { return strings.Join(*h, ", ") }
func (h *headerList) Set(v string) error { *h = append(*h, v); return nil }

type getFlags struct {
	method, data, provider string
	headers                headerList
	verbose, fail, noCache bool
	timeout                time.Duration
}

func runGet(ctx context.Context, c *cli, cmd *command, args []string) error {
	var f getFlags
	fs := c.flagSet(cmd)
	fs.StringVar(&f.method, "X", "", "request `method` (default GET, or POST with -d)")
	fs.StringVar(&f.data, "d", "", "request body: `DATA`, @FILE or @- for stdin")
	fs.Var(&f.headers, "H", `request header "Name: value" (repeatable)`)
	fs.StringVar(&f.provider, "provider", "", "use this provider instead of matching URL's host")
	fs.BoolVar(&f.verbose, "v", false, "print request and response headers to stderr, credentials masked")
	fs.BoolVar(&f.fail, "f", false, "exit 1 on a non-2xx status")
	fs.BoolVar(&f.fail, "fail", false, "same as -f")
	fs.BoolVar(&f.noCache, "no-cache", false, "neither read nor write the token cache")
	fs.DurationVar(&f.timeout, "timeout", fetchTimeout, "give up on the whole request after this long")
	pos, err := c.parse(fs, cmd, args, "URL")
	if err != nil {
		return err
	}
	u, err := url.Parse(pos[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("get: %q is not an http or https URL", pos[0])
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	reg, err := c.registry(cfg, c.tokenCache(cfg, f.noCache, false)...)
	if err != nil {
		return err
	}
	defer reg.Close()
	src, err := c.pickSource(ctx, cfg, reg, f.provider, u)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := newGetRequest(ctx, f, u)
	if err != nil {
		return err
	}
	if err := doGet(c, src, req, f); err != nil {
		return locate(cfg, err)
	}
	return nil
}

// pickSource returns the provider named by --provider, or the one provider
// whose hosts match u: first among the providers with configured hosts,
// then, if none matches, among the others by their plugins' default hosts
// (which starts those plugins).
func (c *cli) pickSource(ctx context.Context, cfg *hostconfig.Config, reg *host.Registry, name string, u *url.URL) (*host.Source, error) {
	if name != "" {
		src, err := source(cfg, reg, name)
		if err != nil {
			return nil, err
		}
		sc, err := src.HostScope(ctx)
		if err != nil {
			return nil, locate(cfg, err)
		}
		if !sc.Hosts().MatchURL(u) {
			return nil, configError(fmt.Errorf("get: provider %q may not send its token to %s (its hosts: %s)", name, u.Host, hostsText(sc.Hosts().Patterns(), "none")))
		}
		return src, nil
	}
	found := matchHosts(ctx, cfg, reg, u, true)
	if len(found) == 0 {
		found = matchHosts(ctx, cfg, reg, u, false)
	}
	switch len(found) {
	case 0:
		if err := c.unavailableFor(cfg, u); err != nil {
			return nil, err
		}
		return nil, configError(fmt.Errorf("get: no provider in %s has a host matching %s; add it to a provider's hosts or use --provider", cfg.File, u.Host))
	case 1:
		return reg.Source(found[0])
	}
	return nil, configError(fmt.Errorf("get: providers %s all match %s; choose one with --provider", strings.Join(found, ", "), u.Host))
}

func newGetRequest(ctx context.Context, f getFlags, u *url.URL) (*http.Request, error) {
	var body io.Reader
	if f.data != "" {
		data, err := readData(f.data)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(data) // replayable: a 401 can be retried with a new token
	}
	method := f.method
	switch {
	case method == "" && body != nil:
		method = http.MethodPost
	case method == "":
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, usageErrorf("get: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded") // as curl -d does; -H overrides
	}
	req.Header.Set("User-Agent", "tokenplug")
	for _, h := range f.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, usageErrorf("get: -H %q: want \"Name: value\"", h)
		}
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return req, nil
}

// readData returns -d's body: the string itself, @FILE's contents or @-
// for stdin.
func readData(d string) ([]byte, error) {
	file, ok := strings.CutPrefix(d, "@")
	switch {
	case !ok:
		return []byte(d), nil
	case file == "-":
		return io.ReadAll(os.Stdin)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, usageErrorf("get: -d @%s: %v", file, unwrapPath(err))
	}
	return data, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func doGet(c *cli, src *host.Source, req *http.Request, f getFlags) error {
	var base http.RoundTripper = http.DefaultTransport
	logger := c.logger()
	if f.verbose {
		logger = verboseLogger(c.stderr) // says why a request left without the token
		vt := &verboseTransport{base: base, w: c.stderr}
		// Learn which header carries the token, to mask it whatever its
		// name. The source caches the token for the request itself; if the
		// fetch fails, the request reports it.
		if tok, err := src.Token(req.Context()); err == nil {
			name, _ := tokenplug.RequestHeader(tok)
			vt.secret = []string{http.CanonicalHeaderKey(name)}
		}
		base = vt
	}
	client := &http.Client{Transport: transport.New(base, src, transport.WithLogger(logger))}
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error's message holds the whole URL, query string included:
		// name the endpoint by its host only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("get: %s %s://%s: timed out waiting for the server (--timeout sets the limit)", req.Method, req.URL.Scheme, req.URL.Host)
		}
		return fmt.Errorf("get: %s %s://%s: %w", req.Method, req.URL.Scheme, req.URL.Host, err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(c.stdout, resp.Body); err != nil {
		return fmt.Errorf("get: reading the response: %w", err)
	}
	if f.fail && (resp.StatusCode < 200 || resp.StatusCode > 299) {
		// Host only, as in the errors above: a query may hold a key. The
		// status by its code: the server's reason phrase arrives as sent,
		// terminal escapes and all.
		return fmt.Errorf("get: %s %s://%s: %d %s", req.Method, req.URL.Scheme, req.URL.Host, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return nil
}

// matchHosts returns the providers whose hosts match u: with configured,
// those with configured hosts (parsed by Register: no plugin starts);
// else the others, by their plugin's default hosts, which starts those
// plugins. A provider whose plugin fails to start is skipped: it cannot
// serve u anyway.
func matchHosts(ctx context.Context, cfg *hostconfig.Config, reg *host.Registry, u *url.URL, configured bool) []string {
	var found []string
	for _, n := range cfg.Names() {
		if (len(cfg.Providers[n].Hosts) > 0) != configured {
			continue
		}
		src, err := reg.Source(n)
		if err != nil {
			continue
		}
		if sc, err := src.HostScope(ctx); err == nil && sc.Hosts().MatchURL(u) {
			found = append(found, n)
		}
	}
	return found
}
