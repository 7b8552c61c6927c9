package plugintest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/internal/launch"
	"github.com/tokenplug/tokenplug/internal/syncbuf"
	"github.com/tokenplug/tokenplug/plugin"
)

// build compiles the main package pkg (a path as go build takes it,
// relative to the test's directory) into a temporary directory.
func build(t tb, pkg string) string {
	t.Helper()
	gobin, err := goTool(exec.LookPath, os.Getenv)
	if err != nil {
		t.Fatalf("%v", err)
	}
	out := filepath.Join(t.TempDir(), "tokenplug-plugintest")
	cmd := exec.Command(gobin, "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("plugintest: go build %s: %v\n%s", pkg, err, b)
	}
	return out
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
	d, err := parseDescribe(stdout.Bytes())
	if err != nil {
		// The plugin's author runs this on their own binary: show what it printed.
		return plugin.Description{}, fmt.Errorf("%w: %s", err, plugin.Snippet(stdout.Bytes()))
	}
	return d, nil
}

// parseDescribe reads the describe command's stdout (plugin.ParseDescription),
// its errors one line starting "describe: ".
func parseDescribe(stdout []byte) (plugin.Description, error) {
	d, err := plugin.ParseDescription(stdout)
	if err != nil {
		return plugin.Description{}, fmt.Errorf("describe: %w", err)
	}
	return d, nil
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
// succeeds. The plugin logs at trace level, with env added to its
// environment.
func runRaw(ctx context.Context, bin string, env []string, settings ...map[string]string) (rawOutput, []*oauth2.Token, error) {
	var stdout, stderr syncbuf.Buffer
	cmd := exec.Command(bin)
	cmd.Env = append([]string{"TOKENPLUG_LOG_LEVEL=trace"}, env...)
	cfg := launch.Config{Cmd: cmd, Stderr: &stderr, SyncStdout: &stdout, SyncStderr: &stderr}
	var out rawOutput
	var toks []*oauth2.Token
	err := func() error {
		p, c, err := launch.Start(cfg)
		if err != nil {
			return fmt.Errorf("handshake: %w", err)
		}
		defer p.Kill()
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

// goTool finds the go command: on PATH, else in $GOROOT/bin. Not
// runtime.GOROOT, which is empty in a test binary built with -trimpath (and
// wrong for one copied to another machine).
func goTool(lookPath func(string) (string, error), getenv func(string) string) (string, error) {
	if p, err := lookPath("go"); err == nil {
		return p, nil
	}
	if root := getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("plugintest: cannot find the go command to build the plugin: put it on PATH or set GOROOT")
}
