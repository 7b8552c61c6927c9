// Command faultplugin is a tokenplug plugin that misbehaves on request, for
// the host's fault-injection tests. Its "behavior" setting picks what Token
// does; every token it issues is "tok-<n>" with n counting from 1, so tests
// can tell how many fetches reached it.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

type provider struct{}

func (provider) Describe() plugin.Description {
	return plugin.Description{
		Name:    "fault",
		Version: "0.0.1",
		Settings: []plugin.Setting{
			{Key: "behavior", Description: "ok, hang, panic, exit, stdout, permanent, ratelimit, temporary, env, pid, logsecret", Default: "ok"},
			{Key: "lifetime", Description: "token lifetime; 0 never expires", Default: "1h"},
			{Key: "password", Description: "a secret the plugin must never leak", Secret: true},
			{Key: "fail_configure", Description: "if set, Configure rejects the password with this message"},
		},
		// None by default, as a third-party plugin may; tests that need
		// some pass them in the environment (host.WithEnv).
		DefaultHosts: defaultHosts(os.Getenv("FAULTPLUGIN_DEFAULT_HOSTS")),
	}
}

// defaultHosts splits a comma-separated list; "" gives none.
func defaultHosts(list string) []string {
	if list == "" {
		return nil
	}
	return strings.Split(list, ",")
}

func (provider) Configure(_ context.Context, s map[string]string) (oauth2.TokenSource, error) {
	life, err := time.ParseDuration(s["lifetime"])
	if err != nil {
		return nil, plugin.Errorf("lifetime", "not a duration")
	}
	if msg := s["fail_configure"]; msg != "" {
		// A careless plugin: echoes the secret in its error.
		return nil, plugin.Errorf("password", "%s: %s", msg, s["password"])
	}
	if s["behavior"] == "logsecret" {
		plugin.Logger().Info("configured", "password", s["password"])
	}
	return &source{behavior: s["behavior"], life: life, password: s["password"]}, nil
}

type source struct {
	behavior string
	life     time.Duration
	password string
	n        atomic.Int64
}

func (s *source) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

func (s *source) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	access := fmt.Sprintf("tok-%d", s.n.Add(1))
	switch s.behavior {
	case "hang":
		<-ctx.Done()
		return nil, ctx.Err()
	case "panic":
		panic("faultplugin: asked to panic")
	case "exit":
		os.Exit(3)
	case "stdout":
		fmt.Println("garbage on stdout that is not a handshake")
	case "permanent":
		return nil, plugin.Permanent(errors.New("upstream rejected the key " + s.password))
	case "temporary":
		return nil, plugin.Temporary(errors.New("upstream unavailable"))
	case "ratelimit":
		return nil, plugin.RateLimited(errors.New("slow down"), 7*time.Second)
	case "env":
		var keys []string
		for _, kv := range os.Environ() {
			keys = append(keys, strings.SplitN(kv, "=", 2)[0])
		}
		sort.Strings(keys)
		access = strings.Join(keys, ",")
	case "pid":
		access = fmt.Sprint(os.Getpid())
	case "logsecret":
		plugin.Logger().Warn("fetching", "password", s.password, "note", "secret is "+s.password)
	}
	tok := &oauth2.Token{AccessToken: access, TokenType: "bearer"}
	if s.life > 0 {
		tok.Expiry = time.Now().Add(s.life)
	}
	return tok, nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "stdout-first" {
		fmt.Println("garbage before the handshake")
	}
	plugin.Serve(provider{})
}
