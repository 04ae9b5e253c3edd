package atomicfile

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestWriteFile: the file is replaced whole, nothing temporary left;
// concurrent writers each leave a whole file; a missing directory is an
// error.
func TestWriteFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sub")
	path := filepath.Join(dir, "f.json")
	if err := WriteFile(path, []byte("one"), 0o644); err == nil {
		t.Fatal("wrote into a missing directory")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	st, _ := os.Stat(path)
	if err != nil || string(b) != "two" || st.Mode().Perm() != 0o600 {
		t.Fatalf("%q %v %v", b, err, st.Mode())
	}
	var wg sync.WaitGroup
	datas := []string{"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc", "dddddddddddddddd"}
	for _, d := range datas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if err := WriteFile(path, []byte(d), 0o644); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b, _ = os.ReadFile(path)
	ok := false
	for _, d := range datas {
		ok = ok || string(b) == d
	}
	if !ok {
		t.Errorf("after concurrent writes: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left %d files: %v", len(entries), entries)
	}
	// A directory in the way: an error, and nothing left.
	if err := WriteFile(dir, []byte("x"), 0o644); err == nil {
		t.Error("replacing a directory succeeded")
	}
}
