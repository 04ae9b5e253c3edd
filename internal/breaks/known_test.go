package breaks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKnownFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "broke-between.json")
	known := map[string]Range{
		"nixpkgs/staging-next/foo.x86_64-linux/7": {Good: Point{1, rev('a')}, Bad: Point{2, rev('b')}, Exact: true},
		"nixpkgs/staging-next/bar.x86_64-linux/8": {}, // never built: unknown, and known to be
	}
	k, err := LoadKnown(path)
	if err != nil || len(k.Ranges) != 0 || k.Commits == nil {
		t.Fatalf("absent file: %v %v", k, err)
	}
	commits := map[string]int{rev('a') + "..." + rev('b'): 12, rev('c') + "..." + rev('d'): -1}
	if err := SaveKnown(path, Known{Ranges: known, Commits: commits}); err != nil {
		t.Fatal(err)
	}
	k, err = LoadKnown(path)
	got := k.Ranges
	if err != nil || len(got) != 2 || got["nixpkgs/staging-next/foo.x86_64-linux/7"] != known["nixpkgs/staging-next/foo.x86_64-linux/7"] ||
		len(k.Commits) != 2 || k.Commits[rev('a')+"..."+rev('b')] != 12 {
		t.Fatalf("round trip: %+v %v", k, err)
	}
	if r, ok := got["nixpkgs/staging-next/bar.x86_64-linux/8"]; !ok || r.Known() {
		t.Errorf("the unknown range was not kept as unknown: %+v %v", r, ok)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}

	for _, tt := range []struct {
		name, content, err string
	}{
		{"another version", `{"version":99,"ranges":{"x":{}}}`, ""},
		{"corrupt", `{"version":1,"ranges":`, "corrupt.json"},
		{"too big", `{"version":1,"ranges":{"` + strings.Repeat("x", MaxKnownFile) + `":{}}}`, "larger than"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".json")
			if tt.name == "corrupt" {
				p = filepath.Join(dir, "corrupt.json")
			}
			if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := LoadKnown(p)
			switch {
			case tt.err == "" && (err != nil || len(got.Ranges) != 0):
				t.Errorf("got %v, %v; want an empty map", got, err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}
