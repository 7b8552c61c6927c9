package plugintest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// build compiles the main package pkg (a path as go build takes it,
// relative to the test's directory) into a temporary directory.
func build(t *testing.T, pkg string) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(t.TempDir(), "tokenplug-plugintest")
	cmd := exec.Command(gobin, "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("plugintest: go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// describeJSON is the output of "<binary> describe" (plugin.Serve's form).
type describeJSON struct {
	Name            string `json:"name"`
	Version         string `json:"version"`
	ProtocolVersion int    `json:"protocol_version"`
	Settings        []struct {
		Key         string `json:"key"`
		Description string `json:"description"`
		Required    bool   `json:"required"`
		Secret      bool   `json:"secret"`
		Default     string `json:"default"`
	} `json:"settings"`
	DefaultHosts []string `json:"default_hosts"`
}

// describeCommand runs "<bin> describe" with a clean environment and returns
// the description it prints. Anything on stdout besides one JSON document
// is an error: tools parse it, and a plugin that prints stray text before
// plugin.Serve also breaks the go-plugin handshake.
func describeCommand(ctx context.Context, bin string) (plugin.Description, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "describe")
	cmd.Env = []string{}
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return plugin.Description{}, fmt.Errorf("%s describe: %v; stderr: %s", filepath.Base(bin), err, plugin.Snippet(stderr.Bytes()))
	}
	return parseDescribe(stdout.Bytes())
}

// parseDescribe reads the describe command's stdout: exactly one JSON
// document, of this SDK's protocol version.
func parseDescribe(stdout []byte) (plugin.Description, error) {
	var d describeJSON
	dec := json.NewDecoder(bytes.NewReader(stdout))
	if err := dec.Decode(&d); err != nil {
		return plugin.Description{}, fmt.Errorf("describe: stdout is not the schema JSON (%v): %s", err, plugin.Snippet(stdout))
	}
	if _, err := dec.Token(); err != io.EOF {
		return plugin.Description{}, errors.New("describe: stdout has more after the schema JSON: something in the plugin prints to stdout")
	}
	if d.ProtocolVersion != plugin.ProtocolVersion {
		return plugin.Description{}, fmt.Errorf("describe: protocol_version %d, this SDK speaks %d", d.ProtocolVersion, plugin.ProtocolVersion)
	}
	out := plugin.Description{Name: d.Name, Version: d.Version, DefaultHosts: d.DefaultHosts}
	for _, s := range d.Settings {
		out.Settings = append(out.Settings, plugin.Setting(s))
	}
	return out, nil
}

// syncBuffer is a bytes.Buffer safe for go-plugin's goroutines to write to.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// rawOutput is everything a plugin process wrote, as go-plugin saw it
// before any host filtering.
type rawOutput struct {
	stdout string  // written to os.Stdout after the handshake
	stderr string  // the process's stderr (logs), and os.Stderr after the handshake
	errs   []error // errors the calls returned, unredacted
}

// strayOutputWait is how long stray output gets to cross go-plugin's stdio
// stream after the last call; on loopback it takes well under a
// millisecond, and a clean plugin costs the whole wait only once per Run.
const strayOutputWait = 300 * time.Millisecond

// runRaw launches bin as a host does but with a go-plugin client of its
// own, so that it sees the plugin's output unfiltered (a host discards
// stdout and scrubs secrets from what it logs). It configures the plugin
// with each settings map in turn and fetches a token after each that
// succeeds. The plugin logs at trace level.
func runRaw(ctx context.Context, bin string, settings ...map[string]string) (rawOutput, []*oauth2.Token, error) {
	var stdout, stderr syncBuffer
	cmd := exec.Command(bin)
	cmd.Env = []string{"TOKENPLUG_LOG_LEVEL=trace"}
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  plugin.Handshake,
		VersionedPlugins: plugin.PluginSets(nil),
		Cmd:              cmd,
		SkipHostEnv:      true,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		Stderr:           &stderr,
		SyncStdout:       &stdout,
		SyncStderr:       &stderr,
		Logger:           hclog.NewNullLogger(),
	})
	var out rawOutput
	var toks []*oauth2.Token
	err := func() error {
		defer client.Kill()
		rpc, err := client.Client()
		if err != nil {
			return fmt.Errorf("handshake: %w", err)
		}
		raw, err := rpc.Dispense(plugin.PluginKey)
		if err != nil {
			return fmt.Errorf("dispense: %w", err)
		}
		c := raw.(*plugin.Client)
		for _, s := range settings {
			if err := c.Configure(ctx, s); err != nil {
				out.errs = append(out.errs, err)
				continue
			}
			tok, err := c.Token(ctx, false)
			if err != nil {
				out.errs = append(out.errs, err)
				continue
			}
			toks = append(toks, tok)
		}
		t := time.NewTimer(strayOutputWait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		return nil
	}()
	out.stdout, out.stderr = stdout.String(), stderr.String()
	return out, toks, err
}
