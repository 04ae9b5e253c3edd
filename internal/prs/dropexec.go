// The executing step of a drop: the branch rewritten or a commit added,
// the body and labels, the comment, closing an emptied PR, and the pushes
// of others noticed on the way, each step logged before the next.

package prs

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// execDrop performs op's steps not yet done, each logged before the next.
// edits are the branch's new files (nil when resuming after the branch
// step).
func (r *run) execDrop(ctx context.Context, number int, ps *prState, op *dropOp, edits []fileEdit) error {
	log := r.log.WithFields(logrus.Fields{"pr": number, "op": op.ID, "attr": firstAttr(op.attrs())})
	newHead := ps.head
	if d, ok := op.steps[evDropBranch]; ok {
		newHead = d.SHA
	} else {
		if len(edits) > 0 {
			sha, err := r.dropCommit(ctx, number, ps, op, edits)
			if err != nil {
				return err
			}
			newHead = sha
		}
		if err := r.logStep(ctx, number, op, evDropBranch, newHead); err != nil {
			return err
		}
		if len(edits) > 0 {
			log.WithFields(logrus.Fields{"head": newHead, "mode": op.Mode}).Info("drop: branch updated")
		}
	}

	if !op.done(evDropState) {
		for _, p := range op.Packages {
			m, err := r.markerByID(ctx, number, p.Marker)
			if err != nil {
				return err
			}
			if m.State == state.Proposed {
				if _, err := r.st.TransitionMarker(ctx, m.ID, state.Dropped, fmt.Sprintf("dropped from PR #%d: %s", number, p.Reason)); err != nil {
					return err
				}
			}
			if p.Skip {
				for _, a := range p.Attrs {
					if err := r.st.AddSkip(ctx, a, fmt.Sprintf("dropped from PR #%d: %s", number, p.Reason), r.o.Now().Add(r.o.SkipFor)); err != nil {
						return err
					}
				}
			}
		}
		sp := ps.sp
		sp.HeadSHA, sp.Attrs = newHead, op.remainingAttrs()
		if _, err := r.st.RecordPR(ctx, sp); err != nil {
			return err
		}
		if err := r.logStep(ctx, number, op, evDropState, ""); err != nil {
			return err
		}
	}

	if !op.done(evDropBody) && !op.Close {
		edit := &github.PullRequest{Body: github.String(dropFromBody(ps.pr.GetBody(), op))}
		if t := dropTitle(ps.pr.GetTitle(), op); t != ps.pr.GetTitle() {
			edit.Title = github.String(t)
		}
		if err := r.call(ctx, fmt.Sprintf("PATCH pull #%d", number), func(ctx context.Context) (resp *github.Response, err error) {
			_, resp, err = r.gh.Pulls.Edit(ctx, r.o.Owner, r.o.Repo, number, edit)
			return resp, err
		}); err != nil {
			return err
		}
		if err := r.logStep(ctx, number, op, evDropBody, ""); err != nil {
			return err
		}
	}

	if !op.done(evDropComment) {
		found := false
		if op.done(evDropComment1) {
			// Commented before a crash, perhaps: look for it.
			var err error
			if found, err = r.findDropComment(ctx, number, op); err != nil {
				return err
			}
		} else if err := r.logStep(ctx, number, op, evDropComment1, ""); err != nil {
			return err
		}
		if !found {
			body := dropComment(number, op, r.o.SkipFor)
			if err := r.call(ctx, fmt.Sprintf("POST comment #%d", number), func(ctx context.Context) (resp *github.Response, err error) {
				_, resp, err = r.gh.Issues.CreateComment(ctx, r.o.Owner, r.o.Repo, number, &github.IssueComment{Body: github.String(body)})
				return resp, err
			}); err != nil {
				return err
			}
		}
		if err := r.logStep(ctx, number, op, evDropComment, ""); err != nil {
			return err
		}
	}

	if op.Close {
		// The body and the close in one request, the intent logged first:
		// the next sync knows this close is markbot's own.
		if !op.done(evDropClosing) {
			if err := r.logStep(ctx, number, op, evDropClosing, ""); err != nil {
				return err
			}
		}
		edit := &github.PullRequest{State: github.String("closed"), Body: github.String(dropFromBody(ps.pr.GetBody(), op))}
		if err := r.call(ctx, fmt.Sprintf("PATCH pull #%d state=closed", number), func(ctx context.Context) (resp *github.Response, err error) {
			_, resp, err = r.gh.Pulls.Edit(ctx, r.o.Owner, r.o.Repo, number, edit)
			return resp, err
		}); err != nil {
			return err
		}
		return r.finishClose(ctx, number, op)
	}
	if err := r.logStep(ctx, number, op, evDropDone, ""); err != nil {
		return err
	}
	log.WithFields(logrus.Fields{"remaining": len(op.Remaining), "nothing_left": op.NothingLeft}).Info("drop: done")
	return nil
}

// finishClose records markbot's own close of PR number: closed in state,
// without skips (nobody said no), any marker still proposed dropped.
func (r *run) finishClose(ctx context.Context, number int, op *dropOp) error {
	msg := fmt.Sprintf("closed by markbot: every package was dropped from PR #%d (not a human's no)", number)
	markers, err := r.st.MarkersForPR(ctx, number)
	if err != nil {
		return err
	}
	for _, m := range markers {
		if m.PR == number && m.State == state.Proposed {
			if _, err := r.st.TransitionMarker(ctx, m.ID, state.Dropped, msg); err != nil {
				return err
			}
		}
	}
	if err := r.st.SetPRState(ctx, number, state.PRClosed, msg); err != nil {
		return err
	}
	if !op.done(evDropDone) {
		if err := r.logStep(ctx, number, op, evDropDone, ""); err != nil {
			return err
		}
	}
	r.log.WithFields(logrus.Fields{"pr": number, "attr": firstAttr(op.attrs())}).Info("drop: nothing left; PR closed by markbot")
	return nil
}

func (r *run) markerByID(ctx context.Context, number int, id int64) (state.Marker, error) {
	ms, err := r.st.MarkersForPR(ctx, number)
	if err != nil {
		return state.Marker{}, err
	}
	for _, m := range ms {
		if m.ID == id {
			return m, nil
		}
	}
	return state.Marker{}, fmt.Errorf("marker %d of PR #%d: %w", id, number, state.ErrNotFound)
}

// dropCommit writes the branch edits as a commit and moves the branch:
// rewrite (markbot's commit replaced, same parent, forced update after
// checking nobody pushed meanwhile) or a commit on top (fast-forward only,
// so that a push racing this one is never overwritten).
func (r *run) dropCommit(ctx context.Context, number int, ps *prState, op *dropOp, edits []fileEdit) (string, error) {
	baseTree := op.Tree
	if baseTree == "" {
		var head *github.Commit
		if err := r.call(ctx, "GET commit "+op.Head, func(ctx context.Context) (resp *github.Response, err error) {
			head, resp, err = r.gh.headGit().GetCommit(ctx, r.headOwner, r.headRepo, op.Head)
			return resp, err
		}); err != nil {
			return "", err
		}
		baseTree = head.GetTree().GetSHA()
	}
	// Each file keeps its mode in the tree the edit goes on (modes.go).
	paths := make([]string, len(edits))
	for i, e := range edits {
		paths[i] = e.File
	}
	modes, err := r.fileModes(ctx, r.gh.headGit(), r.headOwner, r.headRepo, baseTree, paths)
	if err != nil {
		return "", err
	}
	entries := blobEntries(paths, func(i int) string { return edits[i].New }, modes)
	branch := ps.pr.GetHead().GetRef()
	var tree *github.Tree
	if err := r.call(ctx, "POST trees "+branch, func(ctx context.Context) (resp *github.Response, err error) {
		tree, resp, err = r.gh.headGit().CreateTree(ctx, r.headOwner, r.headRepo, baseTree, entries)
		return resp, err
	}); err != nil {
		return "", err
	}
	parent, msg := op.Head, dropCommitMessage(op)
	if op.Mode == BranchRewritten {
		parent = op.Parent
		msg = CommitMessage(remainingBatch(op))
	}
	var c *github.Commit
	if err := r.call(ctx, "POST commits "+branch, func(ctx context.Context) (resp *github.Response, err error) {
		c, resp, err = r.gh.headGit().CreateCommit(ctx, r.headOwner, r.headRepo, &github.Commit{Message: github.String(msg),
			Tree: &github.Tree{SHA: tree.SHA}, Parents: []*github.Commit{{SHA: github.String(parent)}}}, nil)
		return resp, err
	}); err != nil {
		return "", err
	}
	if err := r.logStep(ctx, number, op, evDropCommit, c.GetSHA()); err != nil {
		return "", err
	}
	force := op.Mode == BranchRewritten
	if force {
		var ref *github.Reference
		if err := r.call(ctx, "GET ref heads/"+branch, func(ctx context.Context) (resp *github.Response, err error) {
			ref, resp, err = r.gh.headGit().GetRef(ctx, r.headOwner, r.headRepo, "heads/"+branch)
			return resp, err
		}); err != nil {
			return "", err
		}
		if got := ref.GetObject().GetSHA(); got != op.Head {
			return "", fmt.Errorf("branch %s moved to %s while markbot was dropping (planned on %s); trying again next time", branch, short(got), short(op.Head))
		}
	}
	if err := r.call(ctx, "PATCH refs "+branch, func(ctx context.Context) (resp *github.Response, err error) {
		_, resp, err = r.gh.headGit().UpdateRef(ctx, r.headOwner, r.headRepo, &github.Reference{Ref: github.String("heads/" + branch),
			Object: &github.GitObject{SHA: c.SHA}}, force)
		return resp, err
	}); err != nil {
		return "", err
	}
	return c.GetSHA(), nil
}

// findDropComment looks for op's comment among the PR's comments.
func (r *run) findDropComment(ctx context.Context, number int, op *dropOp) (bool, error) {
	mark := dropCommentMarker(number, op)
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		var page []*github.IssueComment
		var resp *github.Response
		if err := r.call(ctx, fmt.Sprintf("GET comments #%d", number), func(ctx context.Context) (_ *github.Response, err error) {
			page, resp, err = r.gh.Issues.ListComments(ctx, r.o.Owner, r.o.Repo, number, opts)
			return resp, err
		}); err != nil {
			return false, err
		}
		for _, c := range page {
			if strings.Contains(c.GetBody(), mark) {
				return true, nil
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return false, nil
		}
		opts.Page = resp.NextPage
	}
}

// pushInfo is the first commit by someone else that touched a file.
type pushInfo struct{ login, sha string }

// pushedFiles looks at the PR's commits others pushed since markbot last
// looked (those not reachable from a known head) and returns the files
// they touched, each with the first such commit. markbot's own commits
// (its trailer, or authored by its login) and merges (which bring the base
// branch's changes, not a fix) are passed over.
func (r *run) pushedFiles(ctx context.Context, number int, known map[string]bool) (map[string]pushInfo, error) {
	var commits []*github.RepositoryCommit
	opts := &github.ListOptions{PerPage: 100}
	for {
		var page []*github.RepositoryCommit
		var resp *github.Response
		if err := r.call(ctx, fmt.Sprintf("GET pull #%d commits", number), func(ctx context.Context) (_ *github.Response, err error) {
			page, resp, err = r.gh.Pulls.ListCommits(ctx, r.o.Owner, r.o.Repo, number, opts)
			return resp, err
		}); err != nil {
			return nil, err
		}
		commits = append(commits, page...)
		if resp == nil || resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	parents := map[string][]string{}
	for _, c := range commits {
		for _, p := range c.Parents {
			parents[c.GetSHA()] = append(parents[c.GetSHA()], p.GetSHA())
		}
	}
	seen := map[string]bool{}
	var stack []string
	for sha := range known {
		if known[sha] {
			stack = append(stack, sha)
		}
	}
	for len(stack) > 0 {
		sha := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[sha] {
			continue
		}
		seen[sha] = true
		stack = append(stack, parents[sha]...)
	}
	touched := map[string]pushInfo{}
	for _, c := range commits {
		sha := c.GetSHA()
		if seen[sha] || len(c.Parents) > 1 || r.isMarkbotCommit(c) {
			continue
		}
		login := c.GetAuthor().GetLogin()
		if login == "" {
			login = c.GetCommit().GetAuthor().GetName()
		}
		var full *github.RepositoryCommit
		if err := r.call(ctx, "GET commits/"+short(sha), func(ctx context.Context) (resp *github.Response, err error) {
			full, resp, err = r.gh.Commits.GetCommit(ctx, r.headOwner, r.headRepo, sha, nil)
			return resp, err
		}); err != nil {
			return nil, err
		}
		for _, f := range full.Files {
			for _, name := range []string{f.GetFilename(), f.GetPreviousFilename()} {
				if _, ok := touched[name]; name != "" && !ok {
					touched[name] = pushInfo{login: login, sha: sha}
				}
			}
		}
		r.log.WithFields(logrus.Fields{"pr": number, "sha": short(sha), "user": login, "files": len(full.Files)}).Info("a commit by someone else on the branch")
	}
	return touched, nil
}

// commitTrailer ends every commit message markbot writes.
const commitTrailer = "Generated by markbot (" + projectURL + ")."

func (r *run) isMarkbotCommit(c *github.RepositoryCommit) bool {
	return strings.Contains(c.GetCommit().GetMessage(), commitTrailer) || strings.EqualFold(c.GetAuthor().GetLogin(), r.o.BotLogin)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
