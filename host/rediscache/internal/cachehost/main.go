// Command cachehost is a host process for the shared-cache tests: it
// registers one IAM provider with a Redis cache, starts its plugin, prints
// "ready", waits for a line on stdin (so that several processes ask at the
// same moment), then prints the provider's access token and exits.
//
// Usage: cachehost PLUGIN_PATH TOKEN_URL REDIS_URL, with the API key in
// $CACHEHOST_APIKEY and the cache key in $CACHEHOST_CACHE_KEY (secrets stay
// out of argv, as in production). $CACHEHOST_FETCH_TIMEOUT, if set, is the
// registry's fetch timeout.
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/tokenplug/tokenplug/host"
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
	cache, err := rediscache.New(rediscache.Config{URL: os.Args[3], EncryptionKey: os.Getenv("CACHEHOST_CACHE_KEY")})
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
	reg := host.NewRegistry(opts...)
	defer reg.Close()
	err = reg.Register("watson", host.ProviderConfig{Path: os.Args[1], Settings: map[string]string{
		"apikey": os.Getenv("CACHEHOST_APIKEY"), "token_url": os.Args[2],
	}})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src, err := reg.Source("watson")
	if err != nil {
		return err
	}
	if _, err := src.Describe(ctx); err != nil { // start the plugin before the race
		return err
	}
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return err
	}
	tok, err := src.Token(ctx)
	if err != nil {
		return err
	}
	fmt.Println(tok.AccessToken)
	return nil
}
