//go:build linux

package host

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// copyAndHash copies f into a sealed memory file and returns the copy and
// its digest. Sealed, the copy cannot change after it is hashed, not even
// by the host; the plugin runs it as /proc/self/fd/3 (the first of
// cmd.ExtraFiles). Where memory files cannot be executed (the
// vm.memfd_noexec sysctl), it falls back to a copy in a private directory.
func copyAndHash(f *os.File) (*pinnedCopy, []byte, error) {
	mf, err := memfd()
	if err != nil {
		return privateCopy(f)
	}
	if _, err := io.Copy(mf, f); err != nil {
		mf.Close()
		return nil, nil, err
	}
	const seals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(mf.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		mf.Close()
		return nil, nil, err
	}
	sum, err := hashOf(io.NewSectionReader(mf, 0, 1<<62))
	if err != nil {
		mf.Close()
		return nil, nil, err
	}
	return &pinnedCopy{path: "/proc/self/fd/3", files: []*os.File{mf}, close: func() { mf.Close() }}, sum, nil
}

// memfd creates an executable memory file that can be sealed.
func memfd() (*os.File, error) {
	const name, flags = "tokenplug-pinned-plugin", unix.MFD_CLOEXEC | unix.MFD_ALLOW_SEALING
	fd, err := unix.MemfdCreate(name, flags|unix.MFD_EXEC)
	if errors.Is(err, unix.EINVAL) {
		fd, err = unix.MemfdCreate(name, flags) // before Linux 6.3: executable by default
	}
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}
