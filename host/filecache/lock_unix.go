//go:build unix

package filecache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// lockPoll is how often a process waiting for another's fetch tries the
// lock again.
const lockPoll = 10 * time.Millisecond

// maxLockWait bounds the wait for another process's fetch when ctx has no
// deadline.
const maxLockWait = 30 * time.Second

// lock takes key's exclusive lock (flock on key.lock), waiting for another
// process's fetch at most half of ctx's remaining time, so a fetch of its
// own still has the other half. It returns the unlock function.
func (c *Cache) lock(ctx context.Context, key string) (func(), error) {
	path := filepath.Join(c.dir, key+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, err
	}
	fd := int(f.Fd())
	giveUp := time.Now().Add(maxLockWait)
	if dl, ok := ctx.Deadline(); ok {
		giveUp = time.Now().Add(time.Until(dl) / 2)
	}
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { _ = unix.Flock(fd, unix.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !time.Now().Before(giveUp) {
			f.Close()
			return nil, fmt.Errorf("lock %s: another process has held it too long", path)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
	}
}

// checkOwner fails unless fi belongs to this process's user.
func checkOwner(fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		return fmt.Errorf("owned by uid %d, not by this user (uid %d)", st.Uid, uid)
	}
	return nil
}

func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
}
