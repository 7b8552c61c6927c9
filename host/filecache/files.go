package filecache

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/tokenplug/tokenplug/internal/seal"
)

// maxFileSize bounds a stored value: a token is a few kilobytes.
const maxFileSize = 1 << 16

// keyFile holds the secret the cache's keys derive from.
const keyFile = "key"

// ensureDir creates dir 0700 if needed and checks that it is safe.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("tokenplug/filecache: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("tokenplug/filecache: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("tokenplug/filecache: %s is not a directory", dir)
	}
	if err := checkOwner(fi); err != nil {
		return fmt.Errorf("tokenplug/filecache: directory %s: %w", dir, err)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("tokenplug/filecache: directory %s is writable by others (mode %04o): chmod 700 it", dir, fi.Mode().Perm())
	}
	return nil
}

// loadKey reads the key file, creating it with a random secret if there
// is none. Two processes creating it at once agree: the file appears with
// its content whole (link of a complete temporary file), and the loser
// reads the winner's.
func loadKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, keyFile)
	b, _, err := readPrivate(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err = createKey(dir, path); err == nil {
			b, _, err = readPrivate(path)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("tokenplug/filecache: key file: %w", err)
	}
	if len(b) != seal.KeyLen {
		return nil, fmt.Errorf("tokenplug/filecache: key file %s: %d bytes, want %d (delete it to start a new cache)", path, len(b), seal.KeyLen)
	}
	return b, nil
}

func createKey(dir, path string) error {
	secret := make([]byte, seal.KeyLen)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	tmp, err := writeTemp(dir, keyFile, secret)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// readPrivate reads a file that must be a regular file, not a symbolic
// link, owned by this user and readable by no one else; it returns the
// content and modification time.
func readPrivate(path string) ([]byte, time.Time, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, err
	}
	switch {
	case !fi.Mode().IsRegular():
		return nil, time.Time{}, fmt.Errorf("%s is not a regular file", path)
	case fi.Mode().Perm()&0o077 != 0:
		return nil, time.Time{}, fmt.Errorf("%s is open to others (mode %04o), want 0600", path, fi.Mode().Perm())
	}
	if err := checkOwner(fi); err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %w", path, err)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, time.Time{}, err
	}
	if len(b) > maxFileSize {
		return nil, time.Time{}, fmt.Errorf("%s is larger than %d bytes", path, maxFileSize)
	}
	return b, fi.ModTime(), nil
}

// writePrivate replaces dir/name with b, atomically, mode 0600.
func writePrivate(dir, name string, b []byte) error {
	tmp, err := writeTemp(dir, name, b)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// writeTemp writes b to a new 0600 file in dir and returns its path.
func writeTemp(dir, name string, b []byte) (string, error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*") // CreateTemp makes it 0600
	if err != nil {
		return "", err
	}
	_, werr := f.Write(b)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(f.Name())
		return "", werr
	}
	return f.Name(), nil
}
