package report

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestWriteSiteReplaces: a second WriteSite replaces the first site whole
// (a login gone is gone), in one swap or by the fallback, leaving nothing
// beside it.
func TestWriteSiteReplaces(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		t.Run(map[bool]string{false: "exchange", true: "two renames"}[fallback], func(t *testing.T) {
			if fallback {
				old := exchangeDirs
				exchangeDirs = func(a, b string) error { return errNoExchange }
				defer func() { exchangeDirs = old }()
			}
			parent := t.TempDir()
			dir := filepath.Join(parent, "site")
			site := sampleSite(t)
			st, err := WriteSite(dir, site)
			if err != nil {
				t.Fatal(err)
			}
			if st.Files != 24 || st.Bytes <= 0 {
				t.Errorf("stats %+v", st)
			}
			os.WriteFile(filepath.Join(dir, "stray"), []byte("x"), 0o644)
			// A leftover of an interrupted run.
			os.Mkdir(filepath.Join(parent, ".site.new-123"), 0o755)
			smaller := *site
			smaller.Maintainers = smaller.Maintainers[:2]
			smaller.Teams = nil
			smaller.Failures = nil
			smaller.Feed = nil
			smaller.Generated = site.Generated.Add(time.Hour)
			if _, err := WriteSite(dir+"/", &smaller); err != nil {
				t.Fatal(err)
			}
			files := readTree(t, dir)
			for _, gone := range []string{"stray", "maintainers/mallory.html", "teams/gnome.atom"} {
				if _, ok := files[gone]; ok {
					t.Errorf("%s is still there", gone)
				}
			}
			if _, ok := files["maintainers/alice.html"]; !ok {
				t.Error("alice's page is missing")
			}
			entries, _ := os.ReadDir(parent)
			if len(entries) != 1 || entries[0].Name() != "site" {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("beside the site: %v", names)
			}
			fi, err := os.Stat(filepath.Join(dir, "index.html"))
			if err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("index.html: %v %v %v", fi.ModTime(), fi.Mode(), err)
			}
			if di, _ := os.Stat(dir); di.Mode().Perm() != 0o755 {
				t.Errorf("the site's directory is %v", di.Mode())
			}
		})
	}
}

// TestWriteSiteFailureKeepsTheOldSite: an invalid site, or a target that
// is not a directory, changes nothing and leaves nothing.
func TestWriteSiteFailureKeepsTheOldSite(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "site")
	if _, err := WriteSite(dir, sampleSite(t)); err != nil {
		t.Fatal(err)
	}
	before := readTree(t, dir)
	bad := sampleSite(t)
	bad.Failures = append(bad.Failures, bad.Failures[0])
	if _, err := WriteSite(dir, bad); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Fatalf("error %v", err)
	}
	after := readTree(t, dir)
	if len(after) != len(before) {
		t.Error("a failed WriteSite changed the site")
	}
	file := filepath.Join(parent, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	if _, err := WriteSite(file, sampleSite(t)); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("error %v", err)
	}
	if _, err := WriteSite(filepath.Join(parent, "missing", "site"), sampleSite(t)); err == nil {
		t.Error("wrote under a missing directory")
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 2 {
		t.Errorf("%d entries beside the site, want 2 (site, file)", len(entries))
	}
	if runtime.GOOS == "linux" {
		a, b := filepath.Join(parent, "a"), filepath.Join(parent, "b")
		os.Mkdir(a, 0o755)
		os.Mkdir(b, 0o755)
		os.WriteFile(filepath.Join(a, "in-a"), nil, 0o644)
		if err := exchange(a, b); err != nil && err != errNoExchange {
			t.Fatal(err)
		} else if err == nil {
			if _, err := os.Stat(filepath.Join(b, "in-a")); err != nil {
				t.Error("exchange did not swap")
			}
		}
	}
}
