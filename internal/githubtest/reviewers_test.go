package githubtest

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

// reviewerOptions: python has access to nixpkgs, no-access is a team of the
// organisation without any permission on it, elsewhere/python is another
// organisation's.
func reviewerOptions() Options {
	o := sampleOptions()
	o.Teams = []Team{
		{Org: "NixOS", Slug: "python", Members: []string{"carol"}},
		{Org: "NixOS", Slug: "no-access", NoAccess: true, Members: []string{"alice"}},
		{Org: "elsewhere", Slug: "geo", Members: []string{"alice"}},
	}
	return o
}

// Review requests are refused, whole, as GitHub refuses them: a user who
// is not a collaborator, an unknown login, a team that does not exist, has
// no permission on the repository or belongs to another organisation, and
// the PR's author; the message says "teams" when only teams were asked for.
func TestRequestReviewersRefusals(t *testing.T) {
	s := New(t, reviewerOptions())
	c := s.Client()
	commitFiles(t, c, "NixOS", "master", "b", map[string]*string{"README.md": github.String("x\n")})
	must(c.PullRequests.Create(ctx, "NixOS", "nixpkgs", &github.NewPullRequest{
		Title: github.String("t"), Head: github.String("b"), Base: github.String("master")})).get(t)
	const users = "One or more of the users or teams you specified is not a collaborator of the NixOS/nixpkgs repository."
	const teams = "One or more of the teams you specified is not a collaborator of the NixOS/nixpkgs repository."
	tests := []struct {
		name         string
		req          github.ReviewersRequest
		status       int
		msg          string
		users, teams []string // requested after the call
	}{
		{"non-collaborator", github.ReviewersRequest{Reviewers: []string{"alice", "bob"}}, 422, users, nil, nil},
		{"unknown login", github.ReviewersRequest{Reviewers: []string{"nobody-here"}}, 422, users, nil, nil},
		{"unknown team", github.ReviewersRequest{TeamReviewers: []string{"gone"}}, 422, teams, nil, nil},
		{"team without access", github.ReviewersRequest{TeamReviewers: []string{"python", "no-access"}}, 422, teams, nil, nil},
		{"another organisation's team", github.ReviewersRequest{TeamReviewers: []string{"geo"}}, 422, teams, nil, nil},
		{"team without access beside a user", github.ReviewersRequest{Reviewers: []string{"alice"}, TeamReviewers: []string{"no-access"}}, 422, users, nil, nil},
		{"author", github.ReviewersRequest{Reviewers: []string{"markbot[bot]"}}, 422, "", nil, nil},
		{"collaborator and team", github.ReviewersRequest{Reviewers: []string{"alice"}, TeamReviewers: []string{"python"}}, 201, "", []string{"alice"}, []string{"python"}},
		{"again, and a case-folded slug", github.ReviewersRequest{Reviewers: []string{"ALICE", "carol"}, TeamReviewers: []string{"Python"}}, 201, "", []string{"alice", "carol"}, []string{"python"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, resp, err := c.PullRequests.RequestReviewers(ctx, "NixOS", "nixpkgs", 1, tt.req)
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("status %v, err %v", resp, err)
			}
			if tt.msg != "" && (err == nil || !strings.Contains(err.Error(), tt.msg)) {
				t.Errorf("err %v lacks %q", err, tt.msg)
			}
			pr, _ := s.PullRequest(1)
			if tt.status == 201 && (!slices.Equal(pr.Reviewers, tt.users) || !slices.Equal(pr.TeamReviewers, tt.teams)) {
				t.Errorf("requested %v %v, want %v %v", pr.Reviewers, pr.TeamReviewers, tt.users, tt.teams)
			}
		})
	}
	if pr, _ := s.PullRequest(1); !slices.Equal(pr.Reviewers, []string{"alice", "carol"}) || !slices.Equal(pr.TeamReviewers, []string{"python"}) {
		t.Errorf("a refused request changed the PR: %v %v", pr.Reviewers, pr.TeamReviewers)
	}
	gh := must(c.PullRequests.Get(ctx, "NixOS", "nixpkgs", 1)).get(t)
	if len(gh.RequestedTeams) != 1 || gh.RequestedTeams[0].GetSlug() != "python" || len(gh.RequestedReviewers) != 2 {
		t.Errorf("the PR's requested reviewers %v teams %v", gh.RequestedReviewers, gh.RequestedTeams)
	}
}

// The two checks nixpkgs' CI makes before requesting (ci/github-script/
// reviewers.ts): a collaborator answers 204, anyone else 404; a team with
// access 200 (go-github's media type) or 204, any other 404.
func TestCollaboratorAndTeamChecks(t *testing.T) {
	s := New(t, reviewerOptions())
	c := s.Client()
	for login, want := range map[string]bool{"alice": true, "carol": true, "bob": false, "nobody-here": false} {
		ok, resp, err := c.Repositories.IsCollaborator(ctx, "NixOS", "nixpkgs", login)
		if err != nil || ok != want {
			t.Errorf("IsCollaborator(%s) = %v, %v (status %v)", login, ok, err, resp.StatusCode)
		}
	}
	tests := []struct {
		org, slug, repo string
		status          int
	}{
		{"NixOS", "python", "NixOS/nixpkgs", 200},
		{"nixos", "PYTHON", "nixos/nixpkgs", 200},
		{"NixOS", "no-access", "NixOS/nixpkgs", 404},
		{"NixOS", "gone", "NixOS/nixpkgs", 404},
		{"elsewhere", "geo", "NixOS/nixpkgs", 404},
		{"NixOS", "python", "NixOS/no-such-repo", 404},
	}
	for _, tt := range tests {
		owner, repo, _ := strings.Cut(tt.repo, "/")
		r, resp, err := c.Teams.IsTeamRepoBySlug(ctx, tt.org, tt.slug, owner, repo)
		if resp == nil || resp.StatusCode != tt.status {
			t.Errorf("IsTeamRepoBySlug(%s/%s, %s) = %v, %v", tt.org, tt.slug, tt.repo, resp, err)
			continue
		}
		if tt.status == 200 && (r.GetFullName() != "NixOS/nixpkgs" || !r.GetPermissions()["pull"]) {
			t.Errorf("repository %+v", r)
		}
	}
	// Without the media type: 204.
	req, _ := http.NewRequest("GET", s.URL()+"orgs/NixOS/teams/python/repos/NixOS/nixpkgs", nil)
	resp, err := s.srv.Client().Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("plain check: %v %v", resp, err)
	}
	resp.Body.Close()
}
