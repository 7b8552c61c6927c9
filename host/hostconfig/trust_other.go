//go:build !unix

package hostconfig

import "io/fs"

// ownerOf reports no owner: on Windows file ownership and ACLs are not
// checked, and a configuration's files are used whoever may write them.
func ownerOf(fs.FileInfo) (int, bool) { return 0, false }
