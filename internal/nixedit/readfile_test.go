package nixedit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadFileLimit: a file over MaxFileSize is refused with an error
// naming it and the limit, whatever it is, and reading stops at the limit.
func TestReadFileLimit(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.nix")
	if err := os.WriteFile(small, []byte("{ }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Sparse: 64 MiB + 1 byte without writing them.
	big := filepath.Join(dir, "big.nix")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	exact := filepath.Join(dir, "exact.nix")
	if f, err = os.Create(exact); err != nil {
		t.Fatal(err)
	}
	f.Truncate(MaxFileSize)
	f.Close()

	tests := []struct {
		name    string
		path    string
		wantErr string // "" = reads
	}{
		{"small", small, ""},
		{"exactly the limit", exact, ""},
		{"over the limit", big, big + ": larger than markbot's limit for a Nix file (64 MiB"},
		{"a directory", dir, "is a directory"},
		{"missing", filepath.Join(dir, "missing.nix"), "no such file or directory"},
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		// Endless: reading must stop at the limit.
		tests = append(tests, struct{ name, path, wantErr string }{"/dev/zero", "/dev/zero", "/dev/zero: larger than markbot's limit for a Nix file (64 MiB"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			src, err := ReadFile(tt.path)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if fi, _ := os.Stat(tt.path); int64(len(src)) != fi.Size() {
					t.Fatalf("read %d bytes of %d", len(src), fi.Size())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(tt.wantErr, "limit") && !errors.Is(err, ErrTooLarge) {
				t.Errorf("error does not wrap ErrTooLarge")
			}
			t.Logf("%v: %v", time.Since(start), err)
		})
	}
}

// TestParseLimit: Parse refuses a file over MaxFileSize too (what
// internal/prs hands it comes from GitHub, not from ReadFile).
func TestParseLimit(t *testing.T) {
	src := make([]byte, MaxFileSize+1)
	for i := range src {
		src[i] = ' '
	}
	_, err := Parse("huge.nix", src)
	var perr *Error
	if !errors.As(err, &perr) || !errors.Is(err, ErrTooLarge) || !strings.HasPrefix(err.Error(), "huge.nix:1:1: the file is 67108865 bytes, larger than") {
		t.Fatalf("Parse: %v", err)
	}
	if _, err := Mark("huge.nix", src, 1, Marker{BuildURL: testBuild, Since: testSince}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Mark: %v", err)
	}
}
