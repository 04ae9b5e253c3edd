package githubtest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

// TestCompareCommits: master...a branch three commits ahead, the other way
// round, diverged, paginated, and the refusals (an unknown revision, two
// dots), through go-github as internal/prs reads the count.
func TestCompareCommits(t *testing.T) {
	s := New(t, sampleOptions())
	c := s.Client()
	base, _ := s.Ref("master")
	content := "x\n"
	must(c.Git.CreateRef(ctx, "NixOS", "nixpkgs", &github.Reference{Ref: github.String("refs/heads/feature"),
		Object: &github.GitObject{SHA: github.String(base)}})).get(t)
	var tip string
	for i, f := range []string{"a", "b", "c"} {
		var err error
		if tip, err = s.Commit("feature", "commit "+f, map[string]*string{"docs/" + f: &content}); err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
	}
	cmp, _, err := c.Repositories.CompareCommits(ctx, "NixOS", "nixpkgs", base, tip, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cmp.GetStatus() != "ahead" || cmp.GetTotalCommits() != 3 || cmp.GetAheadBy() != 3 || cmp.GetBehindBy() != 0 ||
		len(cmp.Commits) != 3 || cmp.Commits[0].Commit.GetMessage() != "commit a" || len(cmp.Files) != 3 {
		t.Errorf("ahead: status %s total %d ahead %d behind %d, %d commits, %d files", cmp.GetStatus(), cmp.GetTotalCommits(),
			cmp.GetAheadBy(), cmp.GetBehindBy(), len(cmp.Commits), len(cmp.Files))
	}
	// One commit a page: the total stays, the next page is linked, and the
	// files are on the first page only.
	cmp, resp, err := c.Repositories.CompareCommits(ctx, "NixOS", "nixpkgs", base, tip, &github.ListOptions{PerPage: 1, Page: 2})
	if err != nil || cmp.GetTotalCommits() != 3 || len(cmp.Commits) != 1 || cmp.Commits[0].Commit.GetMessage() != "commit b" ||
		len(cmp.Files) != 0 || resp.NextPage != 3 {
		t.Errorf("page 2: %v, total %d, %d commits, %d files, next %d", err, cmp.GetTotalCommits(), len(cmp.Commits), len(cmp.Files), resp.NextPage)
	}
	// per_page is capped at 100, as for any list.
	if cmp, _, err := c.Repositories.CompareCommits(ctx, "NixOS", "nixpkgs", base, tip, &github.ListOptions{PerPage: 500}); err != nil || len(cmp.Commits) != 3 {
		t.Errorf("per_page 500: %v", err)
	}
	cmp, _, err = c.Repositories.CompareCommits(ctx, "NixOS", "nixpkgs", tip, base, nil)
	if err != nil || cmp.GetStatus() != "behind" || cmp.GetTotalCommits() != 0 || cmp.GetBehindBy() != 3 {
		t.Errorf("behind: %v %s %d %d", err, cmp.GetStatus(), cmp.GetTotalCommits(), cmp.GetBehindBy())
	}
	other, err := s.Commit("master", "on master", map[string]*string{"docs/m": &content})
	if err != nil {
		t.Fatal(err)
	}
	cmp, _, err = c.Repositories.CompareCommits(ctx, "NixOS", "nixpkgs", other, tip, nil)
	if err != nil || cmp.GetStatus() != "diverged" || cmp.GetAheadBy() != 3 || cmp.GetBehindBy() != 1 {
		t.Errorf("diverged: %v %s %d %d", err, cmp.GetStatus(), cmp.GetAheadBy(), cmp.GetBehindBy())
	}
	if cmp.GetMergeBaseCommit().GetSHA() != base {
		t.Errorf("merge base %s, want %s", cmp.GetMergeBaseCommit().GetSHA(), base)
	}
	for _, bh := range []string{strings.Repeat("0", 40) + "..." + tip, base + ".." + tip, "..." + tip} {
		req, _ := c.NewRequest("GET", "repos/NixOS/nixpkgs/compare/"+bh, nil)
		_, err := c.Do(ctx, req, nil)
		if er, ok := err.(*github.ErrorResponse); !ok || er.Response.StatusCode != http.StatusNotFound {
			t.Errorf("compare %s: %v, want 404", bh, err)
		}
	}
}
