package prs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
)

// TestPublishSkipsSymlink: a package whose file is a symbolic link on
// master (the contents API answers "type": "symlink") is skipped alone,
// as unreadable, naming the file: markbot edits files, never links; and
// its batch goes out with the other package. Before, the batch failed on
// every run.
func TestPublishSkipsSymlink(t *testing.T) {
	githubtest.RequireGit(t)
	seed := t.TempDir()
	if err := os.CopyFS(seed, os.DirFS("testdata/nixpkgs")); err != nil {
		t.Fatal(err)
	}
	// fzf's file becomes a link to hello's.
	fzf := filepath.Join(seed, "pkgs/by-name/fz/fzf/package.nix")
	if err := os.Remove(fzf); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../he/hello/package.nix", fzf); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(o *githubtest.Options) { o.SeedDir = seed })
	changes := seedChanges()[:2] // hello and fzf: alice and bob, one batch
	res := f.mustPublish(changes, nil)
	outcome := map[string]ChangeResult{}
	for _, c := range res.Changes {
		outcome[c.Attrs[0]] = c
	}
	if o := outcome["fzf"]; o.Outcome != OutcomeUnreadable || !strings.Contains(o.Reason, "pkgs/by-name/fz/fzf/package.nix") ||
		!strings.Contains(o.Reason, "symbolic link") {
		t.Errorf("fzf: %s (%s), want unreadable: a symbolic link", o.Outcome, o.Reason)
	}
	if o := outcome["hello"]; o.Outcome != OutcomeIncluded {
		t.Errorf("hello: %s (%s), want included", o.Outcome, o.Reason)
	}
	if len(res.PRs) != 1 || res.PRs[0].Status != StatusOpened || !slices.Equal(res.PRs[0].Attrs, []string{"hello"}) {
		t.Fatalf("PRs %+v, want one for hello", res.PRs)
	}
}
