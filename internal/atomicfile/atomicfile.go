// Package atomicfile replaces a file so that a reader sees the old content
// or the new, never part of one: the data goes to a temporary file of a
// unique name in the same directory (two writers never share one), synced,
// then renamed over the file, and the directory synced, so that after a
// crash the rename has happened or not.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
)

// WriteFile replaces path by data with permissions perm; its directory
// must exist. On an error path is as it was and no temporary file is left.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return SyncDir(dir)
}

// SyncDir flushes dir's entries (a rename into it) to disk; a file
// system that cannot sync a directory is not an error.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
