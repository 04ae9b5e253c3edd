package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemo runs the README's first command's story and checks what it
// narrates: the whole life cycle, in well under its 30 s budget.
func TestDemo(t *testing.T) {
	var out, errb bytes.Buffer
	start := time.Now()
	site := t.TempDir()
	if code := runDemo([]string{"--site", site}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if _, err := os.Stat(filepath.Join(site, "index.html")); err != nil {
		t.Errorf("the demo's site: %v", err)
	}
	for _, want := range []string{
		"7 persistent failures in evaluation 1820003",
		"not proposed: python312Packages.httpx: shares its file",
		"3 PRs opened",
		"treewide: mark 3 packages broken on Hydra",
		"+    broken = stdenv.hostPlatform.isDarwin;",
		"@@ -49,5 +49,7 @@", // figlet's marker, where figlet is on master
		"+  stdenv,",
		"<!-- markbot {",
		"#1 merged by alice-nix",
		"2 build again, 1 on some systems only (marker narrowed), 2 still failing",
		"cmatrix: unmark broken",
		"-    broken = true;",
		"pv: unmark broken on aarch64-darwin",
		"+    broken = stdenv.hostPlatform.system == \"x86_64-darwin\";",
		"pkgs/by-name/cm/cmatrix/package.nix: byte for byte the original",
		"pv/package.nix: marked broken on x86_64-darwin only now",
		"build-hours per week",
		"3 marking pull requests opened and merged; markbot itself took 2 markers out and narrowed 1, in 3 pull requests",
		// What the first cycle cost the model of hydra.nixos.org's front end.
		"jobset/evals 1, jobset/latest-eval 1, log 5; no 429, no decoy, no 504: true.",
		"nixpkgs/unstable, marked, and nixpkgs/unstable-allow-broken, reported",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo does not say %q", want)
		}
	}
	if t.Failed() {
		t.Log(out.String())
	}
	t.Logf("demo took %s", time.Since(start))
}
