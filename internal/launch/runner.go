package launch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin/runner"
)

// cmdRunner starts a plugin process for go-plugin through its RunnerFunc
// hook. go-plugin's own runner starts the Cmd it is given with the host's
// stdin, and re-reads the binary by its path; through this hook the host
// starts the Cmd it built itself (for the host: the sha256-verified copy of
// the binary when the provider is pinned), with nothing on stdin but the
// plugin's channel certificate and key (see Identity): the host's stdin
// belongs to the host's user.
type cmdRunner struct {
	runner.AddrTranslator // identity: the plugin shares the host's network

	log       hclog.Logger
	cmd       *exec.Cmd
	name      string   // the plugin's path, for logs and errors
	verified  bool     // cmd runs a sha256-verified copy of name
	socketDir string   // go-plugin's directory for the plugin's socket
	stdin     *os.File // the read end of the pipe the plugin's stdin is, closed once it has started
	stdout    io.ReadCloser
	stderr    io.ReadCloser
}

// newCmdRunner returns a runner that starts cmd with go-plugin's
// environment (the handshake cookie, the host's certificate) appended to
// cmd's own, and stdin on its stdin, then end of file (nil: none). cmd
// must not have been started.
func newCmdRunner(log hclog.Logger, cmd *exec.Cmd, name string, verified bool, stdin []byte, spec *exec.Cmd, socketDir string) (*cmdRunner, error) {
	cmd.Env = append(cmd.Env, spec.Env...)
	cmd.Stdin = nil // the null device
	r := &cmdRunner{AddrTranslator: identity{}, log: log, cmd: cmd, name: name, verified: verified, socketDir: socketDir}
	var err error
	if len(stdin) > 0 {
		if r.stdin, err = pipeOf(stdin); err != nil {
			return nil, err
		}
		cmd.Stdin = r.stdin
	}
	if r.stdout, err = cmd.StdoutPipe(); err != nil {
		r.closeStdin()
		return nil, err
	}
	if r.stderr, err = cmd.StderrPipe(); err != nil {
		r.closeStdin()
		return nil, err
	}
	return r, nil
}

// pipeOf returns the read end of a pipe that holds b, then end of file. b
// must fit the pipe's buffer (64 KiB on Linux, at least 4 KiB anywhere).
func pipeOf(b []byte) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	_, err = w.Write(b)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// closeStdin closes the host's copy of the plugin's stdin: once the
// plugin has it, or when it never starts.
func (r *cmdRunner) closeStdin() {
	if r.stdin != nil {
		r.stdin.Close()
	}
}

// Start starts the process. go-plugin removes its socket directory when
// it kills a started plugin; one that never started is cleaned up here.
func (r *cmdRunner) Start(context.Context) error {
	r.log.Debug("starting plugin", "path", r.name, "args", r.cmd.Args)
	defer r.closeStdin()
	if err := r.cmd.Start(); err != nil {
		_ = os.RemoveAll(r.socketDir)
		if r.verified {
			return fmt.Errorf("run the sha256-verified copy of %s: %w", r.name, err)
		}
		return err
	}
	r.log.Debug("plugin started", "path", r.name, "pid", r.cmd.Process.Pid)
	r.stderr = cleanStderr(r.stderr) // go-plugin asks for it once started
	return nil
}

// Wait waits for the process to exit, after go-plugin has read its output.
func (r *cmdRunner) Wait(context.Context) error { return r.cmd.Wait() }

// Kill kills the process; killing one that has exited is not an error.
func (r *cmdRunner) Kill(context.Context) error {
	if r.cmd.Process == nil {
		return nil
	}
	if err := r.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

// Stdout carries the go-plugin handshake.
func (r *cmdRunner) Stdout() io.ReadCloser { return r.stdout }

// Stderr carries the plugin's log, each line made safe for go-plugin to
// parse (see cleanStderr).
func (r *cmdRunner) Stderr() io.ReadCloser { return r.stderr }

// Name is the plugin's path.
func (r *cmdRunner) Name() string { return r.name }

// ID is the process id once started.
func (r *cmdRunner) ID() string {
	if r.cmd.Process == nil {
		return ""
	}
	return strconv.Itoa(r.cmd.Process.Pid)
}

// Diagnose says why a handshake usually fails, as go-plugin's runner does.
func (r *cmdRunner) Diagnose(context.Context) string {
	return "This usually means the plugin was not compiled for this architecture, " +
		"is missing dynamic-link libraries, is not executable by this process, " +
		"or failed to negotiate the go-plugin protocol handshake"
}

type identity struct{}

func (identity) PluginToHost(network, addr string) (string, string, error) { return network, addr, nil }
func (identity) HostToPlugin(network, addr string) (string, string, error) { return network, addr, nil }
