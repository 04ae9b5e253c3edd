package prs

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

// TestPublishCountsCommits: a mark PR's Broke between column gives the
// commits GitHub counts in the range (two commits pushed to master after
// the good revision), asked once for two changes sharing the range; a
// range GitHub does not have stays uncounted, and the PR still opens.
func TestPublishCountsCommits(t *testing.T) {
	f := newFixture(t, nil)
	good, _ := f.srv.Ref("master")
	x := "x\n"
	if _, err := f.srv.Commit("master", "docs: one", map[string]*string{"doc/one": &x}); err != nil {
		t.Fatal(err)
	}
	bad, err := f.srv.Commit("master", "docs: two", map[string]*string{"doc/two": &x})
	if err != nil {
		t.Fatal(err)
	}
	changes := seedChanges()[:2] // hello and its neighbour, batched in one PR
	for i := range changes {
		changes[i].BrokeBetween = &Range{Good: good, Bad: bad, Exact: true, Commits: -1}
	}
	f.srv.ResetStats()
	res := f.mustPublish(changes, nil)
	var body string
	for _, pr := range res.PRs {
		body += pr.Body
	}
	if n := strings.Count(body, "(2 commits)"); n != len(changes) {
		t.Errorf("%d cells with the count, want %d:\n%s", n, len(changes), body)
	}
	if n := f.srv.RequestCounts()["GET /repos/{owner}/{repo}/compare/{basehead}"]; n != 1 {
		t.Errorf("%d compare requests, want 1 for one shared range", n)
	}

	// A range GitHub has no commits for: no count, no failure.
	g := newFixture(t, nil)
	unknown := seedChanges()[:1]
	unknown[0].BrokeBetween = &Range{Good: strings.Repeat("a", 40), Bad: strings.Repeat("b", 40), Exact: true, Commits: -1}
	res = g.mustPublish(unknown, nil)
	if len(res.PRs) != 1 || res.PRs[0].Number == 0 || strings.Contains(res.PRs[0].Body, "commits)") ||
		!strings.Contains(res.PRs[0].Body, "/compare/"+strings.Repeat("a", 40)) {
		t.Errorf("unknown range: %+v", res.PRs)
	}
}

// fakeComparer counts the compare requests and answers n commits.
type fakeComparer struct {
	Commits
	asked int
}

func (f *fakeComparer) CompareCommits(_ context.Context, _, _, base, head string, _ *github.ListOptions) (*github.CommitsComparison, *github.Response, error) {
	f.asked++
	return &github.CommitsComparison{TotalCommits: github.Int(len(base) % 7)}, &github.Response{Response: &http.Response{StatusCode: 200}}, nil
}

// At most MaxCommitCounts compare requests a PR: the changes past it keep
// their range without a count.
func TestCountCommitsCap(t *testing.T) {
	f := newFixture(t, nil)
	gh := FromGitHub(f.srv.Client())
	cmp := &fakeComparer{Commits: gh.Commits}
	gh.Commits = cmp
	p, err := New(gh, f.st, Options{Owner: "NixOS", Repo: "nixpkgs", Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	var changes []Change
	for i := range MaxCommitCounts + 3 {
		good := strings.Repeat(string(rune('a'+i%6)), 40-i) + strings.Repeat("0", i)
		changes = append(changes, Change{Attrs: []string{"p" + good[:3]}, BrokeBetween: &Range{Good: good, Bad: strings.Repeat("f", 40), Commits: -1}})
	}
	p.newRun().countCommits(context.Background(), changes)
	counted := 0
	for _, c := range changes {
		if c.BrokeBetween.Commits >= 0 {
			counted++
		}
	}
	if cmp.asked != MaxCommitCounts || counted != MaxCommitCounts {
		t.Errorf("%d compare requests, %d ranges counted; want %d each", cmp.asked, counted, MaxCommitCounts)
	}
}
