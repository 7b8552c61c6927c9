//go:build !unix

package filecache

import (
	"context"
	"errors"
	"io/fs"
	"os"
)

// lock is not supported here: the cache is bypassed (Token fetches).
func (c *Cache) lock(context.Context, string) (func(), error) {
	return nil, errors.New("file locking is not supported on this system")
}

func checkOwner(fs.FileInfo) error { return nil }

func openNoFollow(path string) (*os.File, error) { return os.Open(path) }
