// Step 4, publishing, the Linux system calls WriteSite uses (called
// directly: the syscall package does not wrap them on every
// architecture): renameat2(RENAME_EXCHANGE) swaps the new site for the old
// in one step, and syncfs flushes the new site to disk in one call rather
// than one fsync per file (8000 fsyncs take tens of seconds).

//go:build linux

package report

import (
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

// The system calls' numbers per architecture (the kernel's tables, as
// golang.org/x/sys lists them).
var (
	sysRenameat2 = map[string]uintptr{
		"386": 353, "amd64": 316, "arm": 382, "arm64": 276, "loong64": 276,
		"mips": 4351, "mipsle": 4351, "mips64": 5311, "mips64le": 5311,
		"ppc64": 357, "ppc64le": 357, "riscv64": 276, "s390x": 347,
	}
	sysSyncfs = map[string]uintptr{
		"386": 344, "amd64": 306, "arm": 373, "arm64": 267, "loong64": 267,
		"mips": 4342, "mipsle": 4342, "mips64": 5301, "mips64le": 5301,
		"ppc64": 348, "ppc64le": 348, "riscv64": 267, "s390x": 338,
	}
)

// exchange swaps the directory entries a and b atomically, or returns
// errNoExchange when the kernel or the file system cannot.
func exchange(a, b string) error {
	nr, ok := sysRenameat2[runtime.GOARCH]
	if !ok {
		return errNoExchange
	}
	pa, err := syscall.BytePtrFromString(a)
	if err != nil {
		return err
	}
	pb, err := syscall.BytePtrFromString(b)
	if err != nil {
		return err
	}
	const renameExchange = 2
	atFDCWD := -100
	_, _, e := syscall.Syscall6(nr, uintptr(atFDCWD), uintptr(unsafe.Pointer(pa)), uintptr(atFDCWD), uintptr(unsafe.Pointer(pb)), renameExchange, 0)
	runtime.KeepAlive(pa)
	runtime.KeepAlive(pb)
	switch e {
	case 0:
		return nil
	case syscall.ENOSYS, syscall.EINVAL, syscall.EOPNOTSUPP:
		return errNoExchange
	}
	return &exchangeError{a, b, e}
}

// syncFS flushes everything written to the file system holding dir, or
// returns errNoSyncFS.
func syncFS(dir string) error {
	nr, ok := sysSyncfs[runtime.GOARCH]
	if !ok {
		return errNoSyncFS
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_, _, e := syscall.Syscall(nr, d.Fd(), 0, 0)
	switch e {
	case 0:
		return nil
	case syscall.ENOSYS:
		return errNoSyncFS
	}
	return e
}
