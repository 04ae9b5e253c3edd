package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
	"github.com/nixpkgs-markbot/markbot/internal/testutil"
)

const perlFile = "pkgs/top-level/perl-packages.nix"

// TestRevertInABigFile: a marker in a file over GitHub's 1 MB inline limit
// (a generated perl-packages.nix, 1.1 MB, GitHub's own limits in the fake)
// goes the whole way: marked and merged, found by the revert loop at the
// base branch (read through the blobs API), probed green, taken out by an
// unmark PR whose hidden block names it, and once that is merged the file
// is byte for byte what it was and state says reverted. A second package's
// marker in the same file, still failing, stays.
func TestRevertInABigFile(t *testing.T) {
	githubtest.RequireGit(t)
	ctx := context.Background()
	e := newRevertEnv(t)
	perl := testutil.NewPerlPackages(2200)
	if len(perl.Src) <= githubtest.DefaultInlineLimit {
		t.Fatalf("the generated file is %d bytes, not over the inline limit", len(perl.Src))
	}
	if _, err := e.gh.Commit("master", "perlPackages: many packages", map[string]*string{perlFile: &perl.Src}); err != nil {
		t.Fatal(err)
	}
	change := func(i int) prs.Change {
		return prs.Change{Kind: prs.KindMark, File: perlFile, Line: perl.Lines[i], Attrs: []string{perl.Attrs[i]},
			Systems: allSystems, BuildID: 300000001, BuildURL: "https://hydra.nixos.org/build/300000001",
			Since: time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC)}
	}
	green, failing := perl.Attrs[1500], perl.Attrs[40]
	res, err := e.pub.Publish(ctx, []prs.Change{change(40), change(1500)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.PRs) != 1 || res.PRs[0].Status != prs.StatusOpened {
		t.Fatalf("mark PRs %+v", res.PRs)
	}
	if _, err := e.gh.MergePullRequest(res.PRs[0].Number, "alice-nix", ""); err != nil {
		t.Fatal(err)
	}
	marked, _ := e.gh.File("master", perlFile)
	if strings.Count(string(marked), "# markbot: broken since") != 2 {
		t.Fatalf("master does not hold the two markers")
	}

	now := time.Now().Unix()
	e.probeEval(900001, now+60, map[string]map[string]int{
		green:   on(0, allSystems...),
		failing: on(1, allSystems...),
	})
	blobs0 := e.gh.RequestCount("GET /repos/{owner}/{repo}/git/blobs/{sha}")
	sum := e.revert(t, RevertOptions{Every: time.Hour})
	if len(sum.Unreadable) != 0 || sum.Checked != 2 {
		t.Fatalf("checked %d, unreadable %v", sum.Checked, sum.Unreadable)
	}
	if e.gh.RequestCount("GET /repos/{owner}/{repo}/git/blobs/{sha}") == blobs0 {
		t.Error("the revert loop read the big file without the blobs API")
	}
	if len(sum.Changes) != 1 || sum.Changes[0].Attr() != green {
		t.Fatalf("unmark changes %v, want %s", sum.Changes, green)
	}
	var unmark *githubtest.PullRequest
	for _, pr := range e.gh.PullRequests() {
		if strings.Contains(pr.Title, "unmark") {
			unmark = &pr
		}
	}
	if unmark == nil {
		t.Fatal("no unmark PR")
	}
	h, ok := prs.ParseHidden(unmark.Body)
	if !ok || h.Kind != prs.KindUnmark || len(h.Attrs) != 1 || h.Attrs[0] != green {
		t.Errorf("unmark PR's hidden block %+v", h)
	}
	if m := e.marker(t, green); m.State != state.Reverting || m.RevertPR != unmark.Number {
		t.Errorf("%s: %s, revert PR %d", green, m.State, m.RevertPR)
	}

	if _, err := e.gh.MergePullRequest(unmark.Number, "alice-nix", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pub.Publish(ctx, nil); err != nil { // sync: the merge
		t.Fatal(err)
	}
	got, _ := e.gh.File("master", perlFile)
	want := perl.Src
	// Only the failing package's marker is left: take it out by hand to
	// compare with the original.
	lines := strings.SplitAfter(string(got), "\n")
	var kept []string
	left := 0
	for i := 0; i < len(lines); i++ {
		if strings.Contains(lines[i], "# markbot: broken since") {
			left++
			i++ // its broken = true;
			continue
		}
		kept = append(kept, lines[i])
	}
	if left != 1 || strings.Join(kept, "") != want {
		t.Errorf("after the unmark PR: %d markers left, rest equal to the original: %v", left, strings.Join(kept, "") == want)
	}
	if m := e.marker(t, green); m.State != state.Reverted {
		t.Errorf("%s: %s, want reverted", green, m.State)
	}
	if m := e.marker(t, failing); m.State != state.Merged {
		t.Errorf("%s: %s, want merged (still failing)", failing, m.State)
	}
}
