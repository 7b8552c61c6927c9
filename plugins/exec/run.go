package exec

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	osexec "os/exec"
	"sync"
	"time"
)

// Limits on what a helper may print.
const (
	// MaxOutput is the most stdout a helper may print: a token response is
	// a few kilobytes; a helper printing more is broken, and is stopped
	// rather than read into memory.
	MaxOutput = 1 << 20
	// stderrTail is how much of a helper's stderr is kept, from its end,
	// for the error and the log: its last words say what went wrong.
	stderrTail = 4 << 10
	// drainWait bounds the reading of the pipes after the helper's process
	// group is killed: only a child that left the group (setsid) can still
	// hold them open.
	drainWait = time.Second
)

// job is one run of a helper: argv (argv[0] the resolved program), its
// working directory, its whole environment and its time limit.
type job struct {
	argv    []string
	dir     string
	env     []string
	timeout time.Duration
}

// outcome is what a run left: stdout (at most MaxOutput), the end of
// stderr, and how it ended.
type outcome struct {
	stdout   []byte
	stderr   []byte
	startErr error // the program could not be started
	waitErr  error // from Wait: nil, or an *exec.ExitError
	timedOut bool  // the timeout setting ended it
	canceled error // the caller's context ended it: its error
	overflow bool  // stdout passed MaxOutput
}

// run runs the helper: stdin empty, no shell, a session of its own (so it
// has no controlling terminal to prompt on, and its process group is
// exactly it and its children), stdout and stderr read through pipes. At
// the timeout, when the caller gives up, when stdout passes MaxOutput, and
// after the helper exits (for children it left behind), the whole process
// group is killed.
func (j job) run(ctx context.Context) (o outcome) {
	outR, outW, err := os.Pipe()
	if err != nil {
		return outcome{startErr: err}
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(outR, outW)
		return outcome{startErr: err}
	}
	defer closeAll(outR, errR)
	cmd := &osexec.Cmd{Path: j.argv[0], Args: j.argv, Dir: j.dir, Env: j.env, Stdout: outW, Stderr: errW}
	cmd.SysProcAttr = newSession()
	err = cmd.Start()
	closeAll(outW, errW) // the helper holds its own copies
	if err != nil {
		return outcome{startErr: err}
	}
	pid := cmd.Process.Pid
	over := make(chan struct{})
	var wg sync.WaitGroup
	var tail tailBuffer
	wg.Go(func() {
		o.stdout, o.overflow = readLimited(outR, MaxOutput)
		if o.overflow {
			killGroup(pid)
			close(over)
		}
	})
	wg.Go(func() { _, _ = io.Copy(&tail, errR) })
	o.waitErr, o.timedOut, o.canceled = wait(ctx, cmd, j.timeout, over)
	killGroup(pid) // whatever the helper left running in its group
	deadline := time.Now().Add(drainWait)
	_ = outR.SetReadDeadline(deadline)
	_ = errR.SetReadDeadline(deadline)
	wg.Wait()
	o.stderr = tail.Bytes()
	return o
}

// wait waits for cmd to exit, killing its process group at the timeout,
// when ctx ends, or when over closes.
func wait(ctx context.Context, cmd *osexec.Cmd, timeout time.Duration, over <-chan struct{}) (err error, timedOut bool, canceled error) {
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // ends when the process does, which the kills below ensure
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err = <-exited:
		return err, false, nil
	case <-timer.C:
		timedOut = true
	case <-ctx.Done():
		canceled = ctx.Err()
	case <-over:
	}
	killGroup(cmd.Process.Pid)
	return <-exited, timedOut, canceled
}

// readLimited reads r to its end, keeping at most max bytes; over reports
// that there was more. It stops reading as soon as it knows.
func readLimited(r io.Reader, max int) (b []byte, over bool) {
	b, _ = io.ReadAll(io.LimitReader(r, int64(max)+1))
	if len(b) > max {
		return b[:max], true
	}
	return b, false
}

// tailBuffer keeps the last stderrTail bytes written to it. It is written
// by one goroutine and read after that goroutine ends.
type tailBuffer struct {
	b   []byte
	cut bool // the start was dropped
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if over := len(t.b) - stderrTail; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
		t.cut = true
	}
	return len(p), nil
}

// Bytes returns what is kept, in whole lines: once the start was dropped,
// the first line kept is partial, and may begin inside a secret that
// redaction can then no longer recognise, so it is dropped too (and a
// single line longer than the tail shows as cutMark alone).
func (t *tailBuffer) Bytes() []byte {
	if !t.cut {
		return t.b
	}
	_, rest, ok := bytes.Cut(t.b, []byte("\n"))
	if !ok || len(bytes.TrimSpace(rest)) == 0 {
		return []byte(cutMark)
	}
	return rest
}

// cutMark stands for stderr whose last line is longer than stderrTail.
const cutMark = "(a line too long to show)"

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		_ = f.Close()
	}
}

// exitStatus returns the helper's exit status, -1 when a signal ended it,
// and ok false when err is not about an exit.
func exitStatus(err error) (status int, ok bool) {
	var ee *osexec.ExitError
	if !errors.As(err, &ee) {
		return 0, false
	}
	return ee.ExitCode(), true
}
