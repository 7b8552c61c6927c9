package host

import (
	"io"
	"os"
	"path/filepath"
)

// privateCopy copies f into a new directory only the host's user can
// enter and returns the copy, to run by its path, and its digest. The copy
// is removed once the plugin has exited.
func privateCopy(f *os.File) (*pinnedCopy, []byte, error) {
	dir, err := os.MkdirTemp("", "tokenplug-pin-") // mode 0700
	if err != nil {
		return nil, nil, err
	}
	remove := func() { _ = os.RemoveAll(dir) }
	path := filepath.Join(dir, filepath.Base(f.Name()))
	if err := writeCopy(path, f); err != nil {
		remove()
		return nil, nil, err
	}
	cp, err := os.Open(path)
	if err != nil {
		remove()
		return nil, nil, err
	}
	defer cp.Close()
	sum, err := hashOf(cp)
	if err != nil {
		remove()
		return nil, nil, err
	}
	return &pinnedCopy{path: path, close: remove}, sum, nil
}

func writeCopy(path string, src io.Reader) error {
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o500)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, src); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
