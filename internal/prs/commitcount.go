// The evidence step of opening a PR: the number of commits in each
// change's "broke between" range, from GitHub's compare API ("Compare two
// commits": total_commits), for the body's Broke between column.

package prs

import (
	"context"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/breaks"
)

// Comparer compares two commits (*github.RepositoriesService). Publish
// uses it when Client.Commits is one.
type Comparer interface {
	CompareCommits(ctx context.Context, owner, repo, base, head string, opts *github.ListOptions) (*github.CommitsComparison, *github.Response, error)
}

var _ Comparer = (*github.RepositoriesService)(nil)

// MaxCommitCounts bounds the compare requests one PR body makes (one per
// range; equal ranges are asked once). A change past it shows its range
// without a count.
const MaxCommitCounts = 10

// countCommits fills the Commits of the changes' ranges that GitHub can
// count: one request each (a page of one commit: the count is the
// comparison's total_commits, whatever the page). A range GitHub cannot
// compare (a revision it does not have, a comparison too large to
// generate) stays uncounted: the body says the range without a number.
// Only a cancelled ctx stops here.
func (r *run) countCommits(ctx context.Context, changes []Change) {
	cmp, ok := r.gh.Commits.(Comparer)
	if !ok {
		return
	}
	counted := map[[2]string]int{}
	asked := 0
	for i := range changes {
		br := changes[i].BrokeBetween
		if br == nil || br.Commits >= 0 || !breaks.ValidRevision(br.Good) || !breaks.ValidRevision(br.Bad) {
			continue
		}
		key := [2]string{br.Good, br.Bad}
		if n, ok := counted[key]; ok {
			br.Commits = n
			continue
		}
		if asked >= MaxCommitCounts || ctx.Err() != nil {
			continue
		}
		asked++
		var c *github.CommitsComparison
		err := r.call(ctx, "GET compare "+shortRev(br.Good)+"..."+shortRev(br.Bad), func(ctx context.Context) (resp *github.Response, err error) {
			c, resp, err = cmp.CompareCommits(ctx, r.o.Owner, r.o.Repo, br.Good, br.Bad, &github.ListOptions{PerPage: 1})
			return resp, err
		})
		if err != nil || c == nil || c.TotalCommits == nil || *c.TotalCommits < 0 {
			if ctx.Err() == nil {
				r.log.WithFields(logrus.Fields{"attr": changes[i].Attr(), "good": br.Good, "bad": br.Bad}).
					Infof("no commit count for the broke-between range: %v", err)
			}
			continue
		}
		br.Commits = *c.TotalCommits
		counted[key] = br.Commits
	}
}
