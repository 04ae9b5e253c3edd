package nixedit

// Reading files: the size limit, and reading that stops at it.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// MaxFileSize is the largest file markbot reads or parses: 64 MiB. The
// largest file in nixpkgs (pkgs/development/haskell-modules/
// hackage-packages.nix) is 12–15 MB and grows slowly; four times that
// leaves room for years of growth, and parsing 64 MiB takes a few seconds
// and about 1 GB of memory (the tokens and the tree), which is what the
// limit protects.
const MaxFileSize = 64 << 20

// ErrTooLarge is wrapped by the errors of ReadFile and Parse for a file
// over MaxFileSize.
var ErrTooLarge = errors.New("larger than markbot's limit for a Nix file")

func tooLarge(name string) error {
	return fmt.Errorf("%s: %w (%d MiB; the largest file in nixpkgs is about 15 MB)", name, ErrTooLarge, MaxFileSize>>20)
}

// ReadFile reads the Nix file name, refusing one over MaxFileSize. It reads
// at most MaxFileSize+1 bytes whatever the file is, so /dev/zero or a FIFO
// fed forever ends at the limit, and it opens without waiting for a writer,
// so a FIFO nobody writes to reads as empty instead of blocking. The errors
// name the file.
func ReadFile(name string) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, &os.PathError{Op: "read", Path: name, Err: syscall.EISDIR}
	}
	if st.Mode().IsRegular() && st.Size() > MaxFileSize {
		return nil, tooLarge(name) // without reading it
	}
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(src) > MaxFileSize {
		return nil, tooLarge(name)
	}
	return src, nil
}
