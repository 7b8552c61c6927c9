package host

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// A sha256 pin must hold for the bytes that run, not for the file at the
// plugin's path a moment earlier: a binary swapped in between the check
// and the exec would run unpinned and receive the provider's secret
// settings through Configure. So the host reads the binary once, into a
// copy nobody else can change (a sealed memory file on Linux, a file in a
// private directory elsewhere), checks the copy's digest, and runs the
// copy.

// pinnedCopy is a verified copy of a plugin binary, ready to run.
type pinnedCopy struct {
	path  string     // what exec runs
	files []*os.File // files the plugin inherits (cmd.ExtraFiles)
	close func()     // releases the copy
}

// pin points cmd at a copy of its binary whose SHA-256 digest is want
// (decoded once, by Register), or fails. cmd keeps its arguments (the
// plugin sees its real path as argv[0]). The caller calls release once the
// plugin has exited (or failed to start).
func pin(cmd *exec.Cmd, want []byte) (release func(), err error) {
	if cmd.Err != nil {
		return nil, cmd.Err // not found: reported like an unpinned start
	}
	f, err := os.Open(cmd.Path)
	if err != nil {
		return nil, fmt.Errorf("sha256 pin: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("sha256 pin: %s is not a regular file", cmd.Path)
	}
	cp, sum, err := copyAndHash(f)
	if err != nil {
		return nil, fmt.Errorf("sha256 pin: copy %s: %w", cmd.Path, err)
	}
	if !bytes.Equal(sum, want) {
		cp.close()
		return nil, errPinMismatch
	}
	cmd.Path, cmd.ExtraFiles = cp.path, append(cp.files, cmd.ExtraFiles...)
	return cp.close, nil
}

// errPinMismatch is what pin returns when the binary is not the pinned one.
var errPinMismatch = errors.New("binary does not match its sha256 pin")

// hashOf returns the SHA-256 digest of r's contents.
func hashOf(r io.Reader) ([]byte, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}
