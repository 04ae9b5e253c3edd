package udiff

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/testutil"
)

func TestUnified(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n"
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", a, a, ""},
		{"insert", "a\nb\nc\n", "a\nb\nX\nc\n", "--- old\n+++ new\n@@ -1,3 +1,4 @@\n a\n b\n+X\n c\n"},
		{"two hunks", a + "l\nm\nn\n", strings.Replace(strings.Replace(a+"l\nm\nn\n", "b\n", "B\n", 1), "m\n", "M\n", 1),
			"--- old\n+++ new\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n@@ -10,5 +10,5 @@\n j\n k\n l\n-m\n+M\n n\n"},
		{"no newline at end", "a\nb", "a\nb\nc", "--- old\n+++ new\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n\\ No newline at end of file\n"},
		{"insert at start", "a\n", "X\na\n", "--- old\n+++ new\n@@ -1 +1,2 @@\n+X\n a\n"},
		{"delete all", "a\n", "", "--- old\n+++ new\n@@ -1 +0,0 @@\n-a\n"},
	}
	for _, tt := range tests {
		if got := Unified("old", "new", tt.a, tt.b); got != tt.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}

// TestUnifiedAppliesWithPatch: GNU patch applies every diff and gives the
// new text (the real tool as the oracle).
func TestUnifiedAppliesWithPatch(t *testing.T) {
	bin, err := exec.LookPath("patch")
	if err != nil {
		testutil.Missing(t, "patch is not installed (Debian package patch)")
	}
	pairs := [][2]string{
		{"a\nb\nc\n", "a\nb\nX\nc\n"},
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\n2x\n3\n4\n5\n6\n7\n8\n9\n10\n11y\n12\n"},
		{"x\r\ny\r\n", "x\r\nz\r\ny\r\n"},
	}
	for i, p := range pairs {
		dir := t.TempDir()
		file := filepath.Join(dir, "f.txt")
		if err := os.WriteFile(file, []byte(p[0]), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-s", file)
		cmd.Stdin = strings.NewReader(Unified("a/f.txt", "b/f.txt", p[0], p[1]))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pair %d: patch: %v\n%s", i, err, out)
		}
		got, _ := os.ReadFile(file)
		if string(got) != p[1] {
			t.Errorf("pair %d: patched file is %q, want %q", i, got, p[1])
		}
	}
}
