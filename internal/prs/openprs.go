// The sync step's reads: markbot's branches in the head repository and
// its open pull requests, each looked up by its branch (as an issue when
// state knows the PR), without paging through the repository's other PRs.
package prs

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// listBranches reads the branches with markbot's prefix in the head
// repository (one request per 100 branches). listOpen looks up their PRs,
// and publishBatch knows from it whether a batch's branch exists.
func (r *run) listBranches(ctx context.Context) error {
	r.branches = map[string]string{}
	opts := &github.ReferenceListOptions{Ref: "heads/" + r.o.BranchPrefix, ListOptions: github.ListOptions{PerPage: 100}}
	for {
		var refs []*github.Reference
		var resp *github.Response
		err := r.call(ctx, "GET matching-refs", func(ctx context.Context) (_ *github.Response, err error) {
			refs, resp, err = r.gh.headGit().ListMatchingRefs(ctx, r.headOwner, r.headRepo, opts)
			return resp, err
		})
		if err != nil {
			return err
		}
		for _, ref := range refs {
			r.branches[strings.TrimPrefix(ref.GetRef(), "refs/heads/")] = ref.GetObject().GetSHA()
		}
		if resp == nil || resp.NextPage == 0 {
			return nil
		}
		opts.Page = resp.NextPage
	}
}

// listOpen finds the open markbot PRs (recorded: those state records as
// open): every PR of markbot's has its head
// on a branch with the prefix in the head repository, so it asks GitHub for
// the open PRs of each branch listBranches found (head=owner:branch, one
// small request per branch) instead of paging through all of the
// repository's open PRs (about 50 large pages on nixpkgs). The pulls list
// is consistent at once, unlike Search, so a PR created a second ago by a
// run that then crashed is found. Any base counts: a PR whose base a human
// changed still covers its attributes. A PR whose branch was deleted is
// not missed: GitHub closes it, and syncClosed reads it.
//
// A branch whose open PR state knows is read through the issues API
// instead (knownOpen): GitHub embeds the base repository, whose pushed_at
// moves with master, in every pull request it answers with, so the pulls
// list of an open PR is a new answer each cycle, while the issue is the
// same until the PR changes, and a conditional read of it costs nothing.
func (r *run) listOpen(ctx context.Context, recorded []state.PR) error {
	known := map[string]state.PR{}
	for _, sp := range recorded {
		if sp.Branch != "" {
			known[sp.Branch] = sp
		}
	}
	seen := map[int]bool{}
	for _, branch := range slices.Sorted(maps.Keys(r.branches)) {
		if sp, ok := known[branch]; ok {
			found, err := r.knownOpen(ctx, sp, branch)
			if err != nil {
				return err
			}
			if found {
				seen[sp.Number] = true
				continue
			}
		}
		opts := &github.PullRequestListOptions{State: "open", Head: r.headOwner + ":" + branch, ListOptions: github.ListOptions{PerPage: 100}}
		for {
			var page []*github.PullRequest
			var resp *github.Response
			err := r.call(ctx, "GET pulls head="+opts.Head, func(ctx context.Context) (_ *github.Response, err error) {
				page, resp, err = r.gh.Pulls.List(ctx, r.o.Owner, r.o.Repo, opts)
				return resp, err
			})
			if err != nil {
				return err
			}
			for _, pr := range page {
				if bp, ok := r.asBotPR(pr); ok && !seen[bp.Number] {
					seen[bp.Number] = true
					r.addOpen(bp)
				}
			}
			if resp == nil || resp.NextPage == 0 {
				break
			}
			opts.Page = resp.NextPage
		}
	}
	return nil
}

// knownOpen reads the PR state records as open on branch through the
// issues API: still open with markbot's hidden block, it is listed open
// (its head is the branch's tip, as listBranches read it); closed, the
// issue is kept for syncClosed. It reports whether the PR was dealt with;
// if not (open without the hidden block, or not a pull request), the
// branch's PRs are listed as any other branch's.
func (r *run) knownOpen(ctx context.Context, sp state.PR, branch string) (bool, error) {
	var is *github.Issue
	err := r.call(ctx, fmt.Sprintf("GET issue #%d", sp.Number), func(ctx context.Context) (resp *github.Response, err error) {
		is, resp, err = r.gh.Issues.Get(ctx, r.o.Owner, r.o.Repo, sp.Number)
		return resp, err
	})
	if statusOf(err) == http.StatusNotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !is.IsPullRequest() || is.GetNumber() != sp.Number {
		return false, nil
	}
	if is.GetState() != "open" {
		if r.closedIssues == nil {
			r.closedIssues = map[int]*github.Issue{}
		}
		r.closedIssues[sp.Number] = is
		return true, nil
	}
	h, ok := ParseHidden(is.GetBody())
	if !ok {
		return false, nil
	}
	bp := &botPR{Number: sp.Number, URL: is.GetHTMLURL(), Branch: branch, HeadSHA: r.branches[branch],
		Kind: h.Kind, Attrs: h.Attrs, Narrow: h.Narrow}
	for _, l := range is.Labels {
		bp.Labels = append(bp.Labels, l.GetName())
	}
	r.addOpen(bp)
	return true, nil
}

func (r *run) addOpen(bp *botPR) {
	r.open = append(r.open, bp)
	for _, a := range bp.Attrs {
		r.covered[a] = bp
	}
}

func (r *run) asBotPR(pr *github.PullRequest) (*botPR, bool) {
	head := pr.GetHead()
	owner := head.GetRepo().GetOwner().GetLogin()
	if owner == "" {
		owner = head.GetUser().GetLogin()
	}
	if !strings.HasPrefix(head.GetRef(), r.o.BranchPrefix) || !strings.EqualFold(owner, r.headOwner) {
		return nil, false
	}
	h, ok := ParseHidden(pr.GetBody())
	if !ok {
		return nil, false
	}
	bp := &botPR{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), Branch: head.GetRef(), HeadSHA: head.GetSHA(),
		Kind: h.Kind, Attrs: h.Attrs, Narrow: h.Narrow}
	for _, l := range pr.Labels {
		bp.Labels = append(bp.Labels, l.GetName())
	}
	return bp, true
}
