// Command faultplugin is a tokenplug plugin that misbehaves on request, for
// the host's fault-injection tests. Its "behavior" setting picks what Token
// does; every token it issues is "tok-<n>" with n counting from 1, so tests
// can tell how many fetches reached it.
package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/internal/wire"
	"github.com/tokenplug/tokenplug/plugin"
)

type provider struct{}

func (provider) Describe() plugin.Description {
	return plugin.Description{
		Name:    "fault",
		Version: "0.0.1",
		Settings: []plugin.Setting{
			{Key: "behavior", Description: "ok, hang, panic, exit, stdout, permanent, ratelimit, temporary, env, pid, label, checkkey, logsecret, leakencoded, longline, stdin, expired, pastexpiry; and those of hostile.go: echo, stderr, logattrs, escapes", Default: "ok"},
			{Key: "lifetime", Description: "token lifetime; 0 never expires", Default: "1h"},
			{Key: "password", Description: "a secret the plugin must never leak", Secret: true},
			{Key: "fail_configure", Description: "if set, Configure rejects the password with this message"},
			{Key: "label", Description: "behavior label: the token is label-<label>-pid-<pid>-<n>"},
			{Key: "stderr_b64", Description: "behavior stderr: the bytes (base64) to write to stderr, verbatim"},
			{Key: "default_hosts", Description: "comma-separated default hosts the plugin gives for this configuration (DefaultHostsFor), right or wrong"},
			{Key: "answer_challenges", Description: "yes: the token source answers challenges (see challenge.go)"},
			{Key: "challenge_scopes", Description: "space-separated scopes a challenge may add"},
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

// DefaultHostsFor gives the default_hosts setting as the configuration's
// default hosts, whether or not Describe declares them: the host must
// refuse those it does not.
func (provider) DefaultHostsFor(s map[string]string) []string {
	return defaultHosts(s["default_hosts"])
}

func (provider) Configure(ctx context.Context, s map[string]string) (oauth2.TokenSource, error) {
	life, err := time.ParseDuration(s["lifetime"])
	if err != nil {
		return nil, plugin.Errorf("lifetime", "not a duration")
	}
	if msg := s["fail_configure"]; msg != "" {
		// A careless plugin: echoes the secret in its error.
		return nil, plugin.Errorf("password", "%s: %s", msg, s["password"])
	}
	if s["behavior"] == "logsecret" {
		plugin.Logger().InfoContext(ctx, "configured", "password", s["password"])
	}
	if err := recordConfigure(); err != nil {
		return nil, err
	}
	if instanceDir != "" {
		// Record the instance: <pid>-<label>, for the host's restart tests.
		if err := os.WriteFile(fmt.Sprintf("%s/%d-%s", instanceDir, os.Getpid(), s["label"]), nil, 0o600); err != nil {
			return nil, err
		}
	}
	if sharedState {
		// A careless plugin: keeps the last settings per process, so
		// every instance fetches with them (plugintest must catch it).
		shared.Store(&source{behavior: s["behavior"], life: life, password: s["password"], label: s["label"]})
		return sharedSource{}, nil
	}
	stderr, err := base64.StdEncoding.DecodeString(s["stderr_b64"])
	if err != nil {
		return nil, plugin.Errorf("stderr_b64", "not base64")
	}
	src := &source{behavior: s["behavior"], life: life, password: s["password"], label: s["label"], stderr: stderr}
	if s["answer_challenges"] == "yes" {
		return &challengeSource{source: src, allowed: strings.Fields(s["challenge_scopes"])}, nil
	}
	return src, nil
}

type source struct {
	behavior string
	life     time.Duration
	password string
	label    string
	stderr   []byte // behavior stderr: written to stderr as it is
	n        atomic.Int64
}

func (s *source) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

// sharedState, set by --shared-state, keeps the last settings per process
// (shared), not per instance.
var (
	sharedState bool
	shared      atomic.Pointer[source]
)

// sharedSource fetches with the process's last settings.
type sharedSource struct{}

func (sharedSource) Token() (*oauth2.Token, error) {
	return shared.Load().TokenContext(context.Background())
}

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
	case "checkkey":
		if strings.Contains(s.password, "wrong") {
			return nil, plugin.Permanent(errors.New("upstream rejected the key"))
		}
	case "label":
		access = fmt.Sprintf("label-%s-pid-%d-%d", s.label, os.Getpid(), s.n.Load())
	case "logsecret":
		plugin.Logger().WarnContext(ctx, "fetching", "password", s.password, "note", "secret is "+s.password)
	case "leakencoded":
		leakEncoded(s.password)
		return nil, plugin.Permanent(errors.New("upstream echoed " + echo(s.password)))
	case "longline":
		leakLong(s.password)
		return nil, plugin.Permanent(errors.New("printed a long line"))
	case "stdin":
		// What the plugin can read from its stdin without blocking on an
		// empty pipe: the host's own input, if it were shared.
		b := make([]byte, 256)
		n, err := os.Stdin.Read(b)
		access = fmt.Sprintf("stdin %q %v", b[:n], err)
	default:
		if err := s.hostile(ctx); err != nil {
			return nil, err
		}
	}
	tok := &oauth2.Token{AccessToken: access, TokenType: "bearer"}
	if s.life > 0 {
		tok.Expiry = time.Now().Add(s.life)
	}
	// Hostile-clock modes (issue 17), apart from the ones above:
	// "expired" issues tokens that expired 2h before they are issued, as
	// a vendor whose clock is 2h behind the host's would: JWTs with a
	// lifetime of an hour (iat and exp) on the vendor's clock.
	// "pastexpiry" issues an opaque token with an expiry 5s in the past,
	// as a plugin that lets expires_in -5 through would.
	switch s.behavior {
	case "expired":
		tok.Expiry = time.Now().Add(-2 * time.Hour)
		tok.AccessToken = unsignedJWT(tok.Expiry.Add(-time.Hour), tok.Expiry)
	case "pastexpiry":
		tok.Expiry = time.Now().Add(-5 * time.Second)
	}
	return tok, nil
}

// echo is what a careless upstream shows of a secret, line by line: the
// secret, its base64, base64url and hex forms, and a Basic authorization
// header built from it.
func echo(secret string) string {
	return strings.Join([]string{
		secret,
		base64.StdEncoding.EncodeToString([]byte(secret)),
		base64.RawURLEncoding.EncodeToString([]byte(secret)),
		hex.EncodeToString([]byte(secret)),
		"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("client-id:"+secret)),
	}, "\n")
}

// leakEncoded prints echo(secret) on every channel a plugin has to its
// host: stdout and stderr after the handshake, and its logger (whole, and
// one line per entry). A "leak-done-<channel>" line follows on each.
func leakEncoded(secret string) {
	e := echo(secret)
	fmt.Println(e)
	fmt.Println("leak-done-stdout")
	fmt.Fprintln(os.Stderr, e)
	fmt.Fprintln(os.Stderr, "leak-done-stderr")
	plugin.Logger().Warn("upstream echoed "+e, "echo", e)
	for line := range strings.Lines(e) {
		plugin.Logger().Warn(line)
	}
	plugin.Logger().Warn("leak-done-log")
}

// leakLong prints, on stderr and in its log, one line over 64 KiB made of
// the secret over and over, so that some copy of it straddles every place
// the line could be cut (go-plugin reads log lines 64 KiB at a time). A
// "long-done-<channel>" line follows on each.
func leakLong(secret string) {
	long := strings.Repeat(secret+" ", (96<<10)/(len(secret)+1))
	fmt.Fprintln(os.Stderr, long)
	fmt.Fprintln(os.Stderr, "long-done-stderr")
	plugin.Logger().Warn(long)
	plugin.Logger().Warn("long-done-log")
}

// recordDir, from a --record-configure=<dir> argument, is where Configure
// records that it ran: a file named "good-<pid>", or "evil-<pid>" when the
// running binary ends with evilTrailer (a copy the tests changed).
var recordDir string

// instanceDir, from a --record-instances=<dir> argument, is where Configure
// records each instance it configures: a file named <pid>-<label>.
var instanceDir string

const evilTrailer = "\nEVIL-FAULTPLUGIN-TRAILER\n"

func recordConfigure() error {
	if recordDir == "" {
		return nil
	}
	kind := "good"
	if evil, err := endsWithTrailer(); err != nil {
		return err
	} else if evil {
		kind = "evil"
	}
	return os.WriteFile(fmt.Sprintf("%s/%s-%d", recordDir, kind, os.Getpid()), nil, 0o600)
}

// endsWithTrailer reports whether the running binary ends with evilTrailer.
func endsWithTrailer() (bool, error) {
	f, err := os.Open("/proc/self/exe") // the bytes that run, on Linux
	if err != nil {
		path, perr := os.Executable()
		if perr != nil {
			return false, perr
		}
		if f, err = os.Open(path); err != nil {
			return false, err
		}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() < int64(len(evilTrailer)) {
		return false, err
	}
	tail := make([]byte, len(evilTrailer))
	if _, err := f.ReadAt(tail, fi.Size()-int64(len(tail))); err != nil {
		return false, err
	}
	return string(tail) == evilTrailer, nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "stdout-first" {
		fmt.Println("garbage before the handshake")
	}
	for _, a := range os.Args[1:] {
		if dir, ok := strings.CutPrefix(a, "--record-configure="); ok {
			recordDir = dir
		}
		if dir, ok := strings.CutPrefix(a, "--record-instances="); ok {
			instanceDir = dir
		}
		if a == "--shared-state" {
			sharedState = true
		}
		if a == "--no-challenges" {
			wire.NoChallenges = true // speak the protocol as SDKs before answers_challenges did
		}
		if a == "--single-instance" {
			wire.SingleInstance = true // speak the protocol as SDKs before multi_instance did
		}
	}
	plugin.Serve(provider{})
}

// unsignedJWT returns a JWT with iat and exp and no signature.
func unsignedJWT(iat, exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc(fmt.Appendf(nil, `{"iat":%d,"exp":%d}`, iat.Unix(), exp.Unix())) + "."
}
