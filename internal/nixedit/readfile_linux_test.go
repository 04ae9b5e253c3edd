package nixedit

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestReadFileFIFO: a FIFO nobody writes to reads as empty at once (an
// open without O_NONBLOCK waits for a writer forever), and one fed forever
// stops at the limit.
func TestReadFileFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo.nix")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		src, err := ReadFile(fifo)
		if err == nil && len(src) != 0 {
			t.Errorf("read %d bytes from a FIFO without a writer", len(src))
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("no writer: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadFile still waits for a writer after 10 s")
	}

	// A writer that never stops (O_RDWR: the test holds the FIFO open, so
	// it has a writer before ReadFile opens it).
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 1<<16)
		for {
			if _, err := w.Write(buf); err != nil {
				return // closed below
			}
		}
	}()
	defer w.Close()
	go func() {
		_, err := ReadFile(fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("endless writer: %v, want ErrTooLarge", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("ReadFile of an endless FIFO still reads after 60 s")
	}
}
