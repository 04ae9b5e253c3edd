package compare

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-github/v60/github"
)

// FromGitHub adapts a go-github client to GitHub. Rate limits are not
// waited out: the error says until when, nothing more is written, and the
// next run (which finds its comment by the marker) carries on.
func FromGitHub(c *github.Client) GitHub { return ghAdapter{c} }

type ghAdapter struct{ c *github.Client }

func commentOf(c *github.IssueComment) Comment {
	return Comment{ID: c.GetID(), Author: c.GetUser().GetLogin(), Body: c.GetBody(), URL: c.GetHTMLURL()}
}

func (g ghAdapter) Comments(ctx context.Context, owner, repo string, number int) ([]Comment, error) {
	var out []Comment
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		cs, resp, err := g.c.Issues.ListComments(ctx, owner, repo, number, opts)
		if err != nil {
			return nil, explain(err)
		}
		for _, c := range cs {
			out = append(out, commentOf(c))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

func (g ghAdapter) CreateComment(ctx context.Context, owner, repo string, number int, body string) (Comment, error) {
	c, _, err := g.c.Issues.CreateComment(ctx, owner, repo, number, &github.IssueComment{Body: &body})
	if err != nil {
		return Comment{}, explain(err)
	}
	return commentOf(c), nil
}

func (g ghAdapter) EditComment(ctx context.Context, owner, repo string, id int64, body string) (Comment, error) {
	c, _, err := g.c.Issues.EditComment(ctx, owner, repo, id, &github.IssueComment{Body: &body})
	if err != nil {
		return Comment{}, explain(err)
	}
	return commentOf(c), nil
}

func (g ghAdapter) Login(ctx context.Context, id int64) (string, error) {
	u, resp, err := g.c.Users.GetByID(ctx, id)
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return "", nil
	}
	if err != nil {
		return "", explain(err)
	}
	return u.GetLogin(), nil
}

// CountCommits is the number of commits in base...head (GitHub's compare
// API, "Compare two commits": total_commits, read from a page of one
// commit).
func (g ghAdapter) CountCommits(ctx context.Context, owner, repo, base, head string) (int, error) {
	c, _, err := g.c.Repositories.CompareCommits(ctx, owner, repo, base, head, &github.ListOptions{PerPage: 1})
	if err != nil {
		return 0, explain(err)
	}
	if c.TotalCommits == nil || *c.TotalCommits < 0 {
		return 0, errors.New("compare: no total_commits in GitHub's answer")
	}
	return *c.TotalCommits, nil
}

// explain names a rate limit's end.
func explain(err error) error {
	var rl *github.RateLimitError
	var ab *github.AbuseRateLimitError
	switch {
	case errors.As(err, &rl):
		return fmt.Errorf("GitHub rate limit until %s: %w", rl.Rate.Reset.Time.UTC().Format(time.RFC3339), err)
	case errors.As(err, &ab):
		return fmt.Errorf("GitHub secondary rate limit (retry after %s): %w", ab.GetRetryAfter(), err)
	}
	return err
}
