package host_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/status"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/grpccreds"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/transport"
)

// Every error path from a plugin's failure to the caller names the provider
// once and the kind once, and says nothing twice, while errors.Is/As still
// reach the classification and the provider (issue 18 item 2). The old code
// said `provider "x": permanent error:` twice through grpccreds and
// "context deadline exceeded: context deadline exceeded" on a fetch timeout.
func TestErrorsNameTheProviderOnce(t *testing.T) {
	reg, _ := newRegistry(t, host.WithFetchTimeout(300*time.Millisecond))
	srcs := map[string]*host.Source{
		"watson": faultSource(t, reg, "watson", "permanent"),
		"hal":    faultSource(t, reg, "hal", "hang"),
		"marvin": faultSource(t, reg, "marvin", "ratelimit"),
	}
	for name, src := range srcs {
		// Start each plugin first: a start on a loaded machine must not eat
		// the short fetch timeout the hung provider needs.
		if _, err := src.Describe(ctxT(t)); err != nil {
			t.Fatalf("%s: describe: %v", name, err)
		}
	}
	kinds := map[string]error{"watson": tokenplug.ErrPermanent, "hal": tokenplug.ErrTemporary, "marvin": tokenplug.ErrRateLimited}
	words := map[string]string{"watson": "permanent", "hal": "temporary", "marvin": "rate limited"}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer api.Close()

	expired := func() context.Context {
		ctx, cancel := context.WithDeadline(context.Background(), time.Unix(1, 0))
		t.Cleanup(cancel)
		return ctx
	}
	paths := map[string]func(ctx context.Context, src *host.Source) (msg string, err error){
		"host": func(ctx context.Context, src *host.Source) (string, error) {
			_, err := src.Token(ctx)
			return errText(err), err
		},
		"transport": func(ctx context.Context, src *host.Source) (string, error) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, api.URL, nil)
			resp, err := (&http.Client{Transport: transport.New(nil, src)}).Do(req)
			if resp != nil {
				resp.Body.Close()
			}
			var te *transport.TokenError
			if !errors.As(err, &te) {
				t.Errorf("transport: err = %v, want a *TokenError", err)
				return errText(err), err
			}
			return te.Error(), err
		},
		"grpccreds": func(ctx context.Context, src *host.Source) (string, error) {
			_, err := grpccreds.New(src, grpccreds.AllowInsecure(), grpccreds.WithHosts("127.0.0.1:443")).
				GetRequestMetadata(ctx, "https://127.0.0.1/svc")
			return status.Convert(err).Message(), err
		},
	}
	for path, call := range paths {
		for name, src := range srcs {
			t.Run(path+"/"+name, func(t *testing.T) {
				msg, err := call(ctxT(t), src)
				checkOnce(t, msg, name, words[name])
				checkReaches(t, err, name, kinds[name])
				if name == "marvin" && tokenplug.RetryAfterOf(err) != 7*time.Second {
					t.Errorf("RetryAfterOf = %v, want the plugin's 7s", tokenplug.RetryAfterOf(err))
				}
			})
		}
		t.Run(path+"/caller deadline", func(t *testing.T) {
			msg, err := call(expired(), srcs["hal"])
			checkOnce(t, msg, "hal", "temporary")
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("errors.Is(err, context.DeadlineExceeded) = false for %v", err)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// checkOnce fails unless msg names provider once and kind once, and no
// ": "-separated part of it appears twice.
func checkOnce(t *testing.T, msg, provider, kind string) {
	t.Helper()
	t.Log(msg)
	if n := strings.Count(msg, `"`+provider+`"`); n != 1 {
		t.Errorf("message names %q %d times, want 1: %s", provider, n, msg)
	}
	if n := strings.Count(msg, kind); n != 1 {
		t.Errorf("message says %q %d times, want 1: %s", kind, n, msg)
	}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(msg, ": ") {
		if seen[part] {
			t.Errorf("message repeats %q: %s", part, msg)
		}
		seen[part] = true
	}
}

// checkReaches fails unless err still carries the kind and the provider.
func checkReaches(t *testing.T, err error, provider string, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("errors.Is(err, %v) = false for %v", kind, err)
	}
	var te *tokenplug.Error
	if !errors.As(err, &te) || tokenplug.ProviderOf(err) != provider {
		t.Errorf("errors.As(*tokenplug.Error) / ProviderOf = %q for %v, want %q", tokenplug.ProviderOf(err), err, provider)
	}
}

// A provider picked by name that the registry does not know: the
// registry's error already names it, so the credentials do not again (the
// old message said `provider "nope": configuration error: unknown provider:
// tokenplug: unknown provider "nope"`).
func TestUnknownProviderThroughGRPCCredsIsNamedOnce(t *testing.T) {
	reg, _ := newRegistry(t)
	src := faultSource(t, reg, "watson", "ok")
	creds := grpccreds.New(src, grpccreds.AllowInsecure(), grpccreds.WithLookup(grpccreds.LookupFunc(
		func(name string) (grpccreds.TokenSource, error) { return reg.Source(name) })))
	_, err := creds.GetRequestMetadata(grpccreds.WithProvider(ctxT(t), "nope"), "https://127.0.0.1/svc")
	checkOnce(t, status.Convert(err).Message(), "nope", "configuration")
	if !errors.Is(err, host.ErrUnknownProvider) || !errors.Is(err, tokenplug.ErrConfig) {
		t.Errorf("err = %v, want ErrUnknownProvider and ErrConfig", err)
	}
}
