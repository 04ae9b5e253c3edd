// Merging pull requests (PUT pulls/{n}/merge: merge commit, squash,
// rebase) and what a moved branch does to the pull requests on it.

package githubtest

import (
	"fmt"
	"net/http"
	"strings"
)

// mergeTree computes the tree of merging the PR's head into its base.
func (s *Server) mergeTree(r *repo, p *PullRequest) (string, error) {
	base, ok := r.git.refSHA("refs/heads/" + p.BaseRef)
	if !ok {
		return "", fmt.Errorf("base %s is gone", p.BaseRef)
	}
	out, err := r.git.out("merge-tree", "--write-tree", "--no-messages", base, p.HeadSHA)
	if err != nil {
		return "", err
	}
	tree, _, _ := strings.Cut(out, "\n")
	return tree, nil
}

// merge merges p into its base with method and returns the new base commit.
func (s *Server) merge(r *repo, p *PullRequest, method, title string, message *string, sha, by string) (string, error) {
	if p.State != "open" {
		return "", &apiError{status: http.StatusMethodNotAllowed, msg: "Pull Request is not mergeable"}
	}
	if p.Draft {
		return "", &apiError{status: http.StatusMethodNotAllowed, msg: "Pull Request is still a draft"}
	}
	if sha != "" && sha != p.HeadSHA {
		return "", &apiError{status: http.StatusConflict, msg: "Head branch was modified. Review and try the merge again."}
	}
	baseRef := "refs/heads/" + p.BaseRef
	base, ok := r.git.refSHA(baseRef)
	if !ok {
		return "", &apiError{status: http.StatusMethodNotAllowed, msg: "Base branch was deleted"}
	}
	now := s.now()
	author := ident{Name: by, Email: by + "@users.noreply.github.com", When: now}
	committer := ident{Name: "GitHub", Email: "noreply@github.com", When: now}
	var newBase string
	switch method {
	case "", "merge", "squash":
		tree, err := s.mergeTree(r, p)
		if err != nil {
			return "", &apiError{status: http.StatusMethodNotAllowed, msg: "Pull Request is not mergeable"}
		}
		parents := []string{base, p.HeadSHA}
		if title == "" {
			title = fmt.Sprintf("Merge pull request #%d from %s/%s", p.Number, p.HeadOwner, p.HeadRef)
		}
		body := p.Title
		if method == "squash" {
			parents = parents[:1]
			if title == "" || strings.HasPrefix(title, "Merge pull request") {
				title = fmt.Sprintf("%s (#%d)", p.Title, p.Number)
			}
			body = ""
		}
		if message != nil {
			body = *message
		}
		msg := title + "\n"
		if body != "" {
			msg += "\n" + body + "\n"
		}
		newBase, err = r.git.commitTree(tree, parents, msg, author, committer)
		if err != nil {
			return "", err
		}
	case "rebase":
		if !r.git.isAncestor(base, p.HeadSHA) {
			return "", &apiError{status: http.StatusMethodNotAllowed, msg: "This branch can't be rebased (githubtest rebases by fast-forward only)"}
		}
		newBase = p.HeadSHA
	default:
		return "", &apiError{status: http.StatusUnprocessableEntity, msg: "Validation Failed",
			items: []jsonErrorItem{{Resource: "PullRequest", Field: "merge_method", Code: "invalid"}}}
	}
	if err := r.git.updateRef(baseRef, newBase, base); err != nil {
		return "", err
	}
	p.State = "closed"
	p.Merged = true
	p.MergedAt, p.ClosedAt, p.UpdatedAt = now, now, now
	p.MergeCommitSHA = newBase
	p.MergedBy = by
	s.refChanged(r, baseRef)
	return newBase, nil
}

func (s *Server) mergePull(c *call) {
	p := s.pathPull(c)
	if p == nil {
		return
	}
	var req struct {
		CommitTitle   string  `json:"commit_title"`
		CommitMessage *string `json:"commit_message"`
		SHA           string  `json:"sha"`
		MergeMethod   string  `json:"merge_method"`
	}
	if c.r.ContentLength != 0 && !c.decode(&req) {
		return
	}
	sha, err := s.merge(c.repo, p, req.MergeMethod, req.CommitTitle, req.CommitMessage, req.SHA, s.bot.Login)
	if err != nil {
		c.failErr(err)
		return
	}
	c.summary = fmt.Sprintf("merge PR #%d into %s at %s", p.Number, p.BaseRef, short(sha))
	c.json(http.StatusOK, map[string]any{"sha": sha, "merged": true, "message": "Pull Request successfully merged"})
}

// refChanged keeps open pull requests in step with a moved or deleted
// branch: the head moves (refs/pull/N/head follows), a deleted head closes
// the pull request, and a base that now contains the head marks it merged.
func (s *Server) refChanged(r *repo, ref string) {
	branch, ok := strings.CutPrefix(ref, "refs/heads/")
	if !ok {
		return
	}
	up := r
	if r.parent != nil {
		up = r.parent
	}
	for _, p := range up.pulls {
		if p.State != "open" {
			continue
		}
		if p.headRepo == r && p.HeadRef == branch {
			sha, ok := s.importHead(up, r, branch)
			if !ok {
				s.closePull(p)
				continue
			}
			if sha != p.HeadSHA {
				p.HeadSHA = sha
				p.UpdatedAt = s.now()
				_, _ = up.git.out("update-ref", fmt.Sprintf("refs/pull/%d/head", p.Number), sha)
			}
		}
		if r == up && p.BaseRef == branch {
			if base, ok := up.git.refSHA(ref); ok && up.git.isAncestor(p.HeadSHA, base) {
				now := s.now()
				p.State, p.Merged = "closed", true
				p.MergedAt, p.ClosedAt, p.UpdatedAt = now, now, now
				p.MergeCommitSHA = p.HeadSHA
			}
		}
	}
}
