// Command cachehost is a host process for the shared-cache tests: it
// registers IAM providers with a Redis cache, starts their plugins, prints
// "ready", waits for a line on stdin (so that several processes ask at the
// same moment), then prints each provider's access token and exits.
//
// Usage: cachehost PLUGIN_PATH TOKEN_URL REDIS_URL, with the API key in
// $CACHEHOST_APIKEY and the cache key in $CACHEHOST_CACHE_KEY (secrets stay
// out of argv, as in production). Optional environment:
//
//   - CACHEHOST_FETCH_TIMEOUT: the registry's fetch timeout.
//   - CACHEHOST_PROVIDERS=n: n providers, provider i with API key
//     $CACHEHOST_APIKEY-i; each token is printed as "i token".
//   - CACHEHOST_CLUSTER=1, CACHEHOST_MASTER_NAME, CACHEHOST_CA_FILE: the
//     cache's Topology.
//   - CACHEHOST_LOAD=1: after the first line, ask for tokens in a loop,
//     rejecting each (as after a 401) so that every request goes through
//     the shared tier, until a second line; then print "ok N failed M".
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/internal/loadgen"
	"github.com/tokenplug/tokenplug/host/rediscache"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cachehost:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 4 {
		return fmt.Errorf("usage: cachehost PLUGIN_PATH TOKEN_URL REDIS_URL")
	}
	cache, err := rediscache.New(rediscache.Config{URL: os.Args[3], EncryptionKey: os.Getenv("CACHEHOST_CACHE_KEY"),
		Topology: rediscache.Topology{
			Cluster:    os.Getenv("CACHEHOST_CLUSTER") == "1",
			MasterName: os.Getenv("CACHEHOST_MASTER_NAME"),
			CAFile:     os.Getenv("CACHEHOST_CA_FILE"),
		}})
	if err != nil {
		return err
	}
	opts := []host.Option{host.WithCache(cache)}
	if v := os.Getenv("CACHEHOST_FETCH_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("CACHEHOST_FETCH_TIMEOUT: %w", err)
		}
		opts = append(opts, host.WithFetchTimeout(d))
	}
	load := os.Getenv("CACHEHOST_LOAD") == "1"
	if load {
		opts = append(opts, host.WithInvalidationWindow(0), host.WithBackoff(host.Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond}))
	}
	reg := host.NewRegistry(opts...)
	defer reg.Close()
	srcs, err := register(reg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := startAll(ctx, srcs); err != nil { // start the plugins before the race
		return err
	}
	fmt.Println("ready")
	in := bufio.NewReader(os.Stdin)
	if _, err := in.ReadString('\n'); err != nil {
		return err
	}
	if load {
		return loop(ctx, srcs, in)
	}
	return askAll(ctx, srcs)
}

// register registers the providers the environment asks for.
func register(reg *host.Registry) ([]*host.Source, error) {
	n, multi := 1, os.Getenv("CACHEHOST_PROVIDERS") != ""
	if multi {
		var err error
		if n, err = strconv.Atoi(os.Getenv("CACHEHOST_PROVIDERS")); err != nil || n < 1 {
			return nil, fmt.Errorf("CACHEHOST_PROVIDERS: want a positive number")
		}
	}
	srcs := make([]*host.Source, n)
	for i := range srcs {
		apikey, name := os.Getenv("CACHEHOST_APIKEY"), "watson"
		if multi {
			apikey, name = apikey+"-"+strconv.Itoa(i), name+strconv.Itoa(i)
		}
		err := reg.Register(name, host.ProviderConfig{Path: os.Args[1], Settings: map[string]string{
			"apikey": apikey, "token_url": os.Args[2],
		}})
		if err != nil {
			return nil, err
		}
		if srcs[i], err = reg.Source(name); err != nil {
			return nil, err
		}
	}
	return srcs, nil
}

// startAll starts every provider's plugin, in parallel.
func startAll(ctx context.Context, srcs []*host.Source) error {
	errs := make([]error, len(srcs))
	var wg sync.WaitGroup
	for i, src := range srcs {
		wg.Go(func() { _, errs[i] = src.Describe(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// askAll asks every provider for its token at once and prints them.
func askAll(ctx context.Context, srcs []*host.Source) error {
	toks, errs := make([]string, len(srcs)), make([]error, len(srcs))
	var wg sync.WaitGroup
	for i, src := range srcs {
		wg.Go(func() {
			tok, err := src.Token(ctx)
			if err == nil {
				toks[i] = tok.AccessToken
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i := range srcs {
		if errs[i] != nil {
			return errs[i]
		}
		if len(srcs) == 1 && os.Getenv("CACHEHOST_PROVIDERS") == "" {
			fmt.Println(toks[i])
		} else {
			fmt.Println(i, toks[i])
		}
	}
	return nil
}

// loop asks for tokens and rejects them, one goroutine per provider, until
// a line arrives on in; then it prints the counts.
func loop(ctx context.Context, srcs []*host.Source, in *bufio.Reader) error {
	var ok, failed atomic.Int64
	stop := loadgen.Start(len(srcs), func(i int) bool {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		tok, err := srcs[i].Token(rctx)
		cancel()
		if err != nil {
			failed.Add(1)
			fmt.Fprintln(os.Stderr, "cachehost: request failed:", err)
			return true
		}
		ok.Add(1)
		srcs[i].Invalidate(tok)
		time.Sleep(5 * time.Millisecond) // steady, not flat out
		return true
	})
	_, err := in.ReadString('\n')
	stop()
	fmt.Printf("ok %d failed %d\n", ok.Load(), failed.Load())
	return err
}
