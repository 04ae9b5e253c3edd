package prs

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-github/v60/github"

	"github.com/nixpkgs-markbot/markbot/internal/ghfile"
)

// The GitHub calls this package makes, declared here and satisfied by
// go-github's services (*github.GitService, …) as they are.

// Git is the Git Data API: refs, commits and trees.
type Git interface {
	GetTree(ctx context.Context, owner, repo, sha string, recursive bool) (*github.Tree, *github.Response, error)
	GetRef(ctx context.Context, owner, repo, ref string) (*github.Reference, *github.Response, error)
	ListMatchingRefs(ctx context.Context, owner, repo string, opts *github.ReferenceListOptions) ([]*github.Reference, *github.Response, error)
	GetCommit(ctx context.Context, owner, repo, sha string) (*github.Commit, *github.Response, error)
	CreateTree(ctx context.Context, owner, repo, baseTree string, entries []*github.TreeEntry) (*github.Tree, *github.Response, error)
	CreateCommit(ctx context.Context, owner, repo string, commit *github.Commit, opts *github.CreateCommitOptions) (*github.Commit, *github.Response, error)
	CreateRef(ctx context.Context, owner, repo string, ref *github.Reference) (*github.Reference, *github.Response, error)
	UpdateRef(ctx context.Context, owner, repo string, ref *github.Reference, force bool) (*github.Reference, *github.Response, error)
}

// Contents reads files at a commit (internal/ghfile's API: a
// *github.Client, whose requests ghfile builds for the contents and blobs
// APIs).
type Contents = ghfile.API

// Pulls opens, lists, reads and edits pull requests, lists their commits
// and requests reviews.
type Pulls interface {
	Create(ctx context.Context, owner, repo string, pull *github.NewPullRequest) (*github.PullRequest, *github.Response, error)
	List(ctx context.Context, owner, repo string, opts *github.PullRequestListOptions) ([]*github.PullRequest, *github.Response, error)
	Get(ctx context.Context, owner, repo string, number int) (*github.PullRequest, *github.Response, error)
	Edit(ctx context.Context, owner, repo string, number int, pull *github.PullRequest) (*github.PullRequest, *github.Response, error)
	ListCommits(ctx context.Context, owner, repo string, number int, opts *github.ListOptions) ([]*github.RepositoryCommit, *github.Response, error)
	RequestReviewers(ctx context.Context, owner, repo string, number int, reviewers github.ReviewersRequest) (*github.PullRequest, *github.Response, error)
}

// Issues labels pull requests and comments on them.
type Issues interface {
	Get(ctx context.Context, owner, repo string, number int) (*github.Issue, *github.Response, error)
	AddLabelsToIssue(ctx context.Context, owner, repo string, number int, labels []string) ([]*github.Label, *github.Response, error)
	CreateComment(ctx context.Context, owner, repo string, number int, comment *github.IssueComment) (*github.IssueComment, *github.Response, error)
	ListComments(ctx context.Context, owner, repo string, number int, opts *github.IssueListCommentsOptions) ([]*github.IssueComment, *github.Response, error)
}

// Commits reads a commit with the files it changed (the commits API).
type Commits interface {
	GetCommit(ctx context.Context, owner, repo, sha string, opts *github.ListOptions) (*github.RepositoryCommit, *github.Response, error)
}

// Users resolves GitHub ids to current logins.
type Users interface {
	GetByID(ctx context.Context, id int64) (*github.User, *github.Response, error)
}

// Collaborators says whether a user may be asked for a review.
type Collaborators interface {
	IsCollaborator(ctx context.Context, owner, repo, user string) (bool, *github.Response, error)
}

// Teams says whether a team may be asked for a review (it has a
// permission on the repository).
type Teams interface {
	IsTeamRepoBySlug(ctx context.Context, org, slug, owner, repo string) (*github.Repository, *github.Response, error)
}

var (
	_ Git      = (*github.GitService)(nil)
	_ Contents = (*github.Client)(nil)
	_ Pulls    = (*github.PullRequestsService)(nil)
	_ Issues   = (*github.IssuesService)(nil)
	_ Users    = (*github.UsersService)(nil)
	_ Commits  = (*github.RepositoriesService)(nil)

	_ Collaborators = (*github.RepositoriesService)(nil)
	_ Teams         = (*github.TeamsService)(nil)
)

// Client is the part of GitHub Publish uses.
type Client struct {
	Git Git
	// ForkGit, if not nil, is the Git Data API of the head repository
	// (Options.Fork) under the fork's own credentials: a GitHub App's
	// installation token reaches only its installation's repositories, so
	// with an App the branches, trees and commits go to the fork through
	// the fork's installation (or a token for it) while pull requests,
	// labels, reviews and comments go upstream through Git's. nil: Git
	// serves both (a personal token, or no fork).
	ForkGit Git
	// Contents reads files at a commit, whatever their size, through
	// internal/ghfile (the contents API, and the blobs API above 1 MB).
	Contents Contents
	Pulls    Pulls
	Issues   Issues
	Users    Users
	Commits  Commits
	// Collaborators and Teams check reviewers before they are requested
	// (reviewers.go); nil: not checked, GitHub's 422 finds them.
	Collaborators Collaborators
	Teams         Teams
}

// headGit is the Git Data API for the head repository (where markbot's
// branches are): ForkGit when set, else Git.
func (c Client) headGit() Git {
	if c.ForkGit != nil {
		return c.ForkGit
	}
	return c.Git
}

// FromGitHub takes the services Publish needs from a go-github client.
func FromGitHub(c *github.Client) Client {
	return Client{Git: c.Git, Contents: c, Pulls: c.PullRequests, Issues: c.Issues, Users: c.Users, Commits: c.Repositories,
		Collaborators: c.Repositories, Teams: c.Teams}
}

// WithFork returns c writing git data to the head repository through
// fork's Git Data API (nil: c itself serves the fork too).
func (c Client) WithFork(fork *github.Client) Client {
	if fork != nil {
		c.ForkGit = fork.Git
	}
	return c
}

// ErrWriteRefused is what a write gets in a dry run.
var ErrWriteRefused = errors.New("dry run: write refused")

// ReadOnlyTransport wraps rt (nil: http.DefaultTransport) so that only GET,
// HEAD and OPTIONS requests reach GitHub; any other request fails with
// ErrWriteRefused without being sent. A dry run's client uses it, so no code
// path can write, whatever it calls.
func ReadOnlyTransport(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return readOnly{rt}
}

type readOnly struct{ rt http.RoundTripper }

func (r readOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return r.rt.RoundTrip(req)
	}
	if req.Body != nil {
		req.Body.Close()
	}
	return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, ErrWriteRefused)
}

// readOnlyClient is c with every write method failing: Publish uses it in a
// dry run, on top of the dry run never calling them.
func readOnlyClient(c Client) Client {
	var fork Git
	if c.ForkGit != nil {
		fork = roGit{c.ForkGit}
	}
	return Client{
		Git:      roGit{c.Git},
		ForkGit:  fork,
		Contents: c.Contents,
		Pulls:    roPulls{c.Pulls},
		Issues:   roIssues{c.Issues},
		Users:    c.Users,
		Commits:  c.Commits,

		Collaborators: c.Collaborators,
		Teams:         c.Teams,
	}
}

type roGit struct{ Git }

func (roGit) CreateTree(context.Context, string, string, string, []*github.TreeEntry) (*github.Tree, *github.Response, error) {
	return nil, nil, ErrWriteRefused
}
func (roGit) CreateCommit(context.Context, string, string, *github.Commit, *github.CreateCommitOptions) (*github.Commit, *github.Response, error) {
	return nil, nil, ErrWriteRefused
}
func (roGit) CreateRef(context.Context, string, string, *github.Reference) (*github.Reference, *github.Response, error) {
	return nil, nil, ErrWriteRefused
}
func (roGit) UpdateRef(context.Context, string, string, *github.Reference, bool) (*github.Reference, *github.Response, error) {
	return nil, nil, ErrWriteRefused
}

type roPulls struct{ Pulls }

func (roPulls) Create(context.Context, string, string, *github.NewPullRequest) (*github.PullRequest, *github.Response, error) {
	return nil, nil, ErrWriteRefused
}
func (roPulls) Edit(context.Context, string, string, int, *github.PullRequest) (*github.PullRequest, *github.Response, error) {
	return nil, nil, ErrWriteRefused
}
func (roPulls) RequestReviewers(context.Context, string, string, int, github.ReviewersRequest) (*github.PullRequest, *github.Response, error) {
	return nil, nil, ErrWriteRefused
}

type roIssues struct{ Issues }

func (roIssues) AddLabelsToIssue(context.Context, string, string, int, []string) ([]*github.Label, *github.Response, error) {
	return nil, nil, ErrWriteRefused
}
func (roIssues) CreateComment(context.Context, string, string, int, *github.IssueComment) (*github.IssueComment, *github.Response, error) {
	return nil, nil, ErrWriteRefused
}
