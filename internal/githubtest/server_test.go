package githubtest

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

const helloNix = `{ lib, stdenv, fetchurl }:

stdenv.mkDerivation (finalAttrs: {
  pname = "hello";
  version = "2.12.2";
  meta = {
    description = "Program that produces a familiar, friendly greeting";
  };
})
`

func sampleOptions() Options {
	return Options{
		SeedFiles: map[string]string{
			"pkgs/by-name/he/hello/package.nix":             helloNix,
			"pkgs/development/python-modules/x/default.nix": "{ buildPythonPackage }:\nbuildPythonPackage { pname = \"x\"; }\n",
			"README.md": "nixpkgs\n",
		},
		Users: []User{
			{Login: "alice", ID: 101, Name: "Alice", Collaborator: true},
			{Login: "bob", ID: 102, Collaborator: false},
			{Login: "carol", ID: 103, Collaborator: true},
		},
		Teams: []Team{{Org: "NixOS", Slug: "python", Members: []string{"carol"}}},
		Forks: []string{"markbot-fork"},
	}
}

var ctx = context.Background()

// result carries a go-github call's value and error: must(c.X(...)).get(t).
type result[T any] struct {
	v   T
	err error
}

func must[T any](v T, _ *github.Response, err error) result[T] { return result[T]{v, err} }

func (r result[T]) get(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

// commitFiles writes files on top of branch base as a new branch, the way
// internal/prs will: get ref, create tree with inline content, commit, ref.
func commitFiles(t *testing.T, c *github.Client, owner, base, branch string, files map[string]*string) string {
	t.Helper()
	ref := must(c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/"+base)).get(t)
	parent := must(c.Git.GetCommit(ctx, "NixOS", "nixpkgs", ref.Object.GetSHA())).get(t)
	var entries []*github.TreeEntry
	for p, content := range files {
		entries = append(entries, &github.TreeEntry{Path: github.String(p), Mode: github.String("100644"), Type: github.String("blob"), Content: content})
	}
	tree := must(c.Git.CreateTree(ctx, owner, "nixpkgs", parent.Tree.GetSHA(), entries)).get(t)
	commit := must(c.Git.CreateCommit(ctx, owner, "nixpkgs", &github.Commit{
		Message: github.String("hello: mark broken"),
		Tree:    &github.Tree{SHA: tree.SHA},
		Parents: []*github.Commit{{SHA: parent.SHA}},
	}, nil)).get(t)
	must(c.Git.CreateRef(ctx, owner, "nixpkgs", &github.Reference{Ref: github.String("refs/heads/" + branch), Object: &github.GitObject{SHA: commit.SHA}})).get(t)
	return commit.GetSHA()
}

func gitCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestPullRequestPipelineAgainstRealGit(t *testing.T) {
	s := New(t, sampleOptions())
	c := s.Client()

	fc, _, _, err := c.Repositories.GetContents(ctx, "NixOS", "nixpkgs", "pkgs/by-name/he/hello/package.nix", &github.RepositoryContentGetOptions{Ref: "master"})
	if err != nil {
		t.Fatal(err)
	}
	content, err := fc.GetContent()
	if err != nil || content != helloNix {
		t.Fatalf("GetContents = %q, %v", content, err)
	}
	marked := strings.Replace(helloNix, "    description", "    broken = true;\n    description", 1)
	sha := commitFiles(t, c, "NixOS", "master", "markbot/mark-hello", map[string]*string{
		"pkgs/by-name/he/hello/package.nix":             &marked,
		"pkgs/development/python-modules/x/default.nix": nil, // sha: null deletes
	})

	pr := must(c.PullRequests.Create(ctx, "NixOS", "nixpkgs", &github.NewPullRequest{
		Title: github.String("hello: mark broken"), Head: github.String("markbot/mark-hello"),
		Base: github.String("master"), Body: github.String("<!-- markbot -->")})).get(t)
	if pr.GetNumber() != 1 || pr.GetHead().GetSHA() != sha || pr.GetUser().GetLogin() != "markbot[bot]" || pr.GetState() != "open" {
		t.Fatalf("created PR = #%d head %s user %s state %s", pr.GetNumber(), pr.GetHead().GetSHA(), pr.GetUser().GetLogin(), pr.GetState())
	}

	// Labels are idempotent; reviewers only from collaborators.
	for range 2 {
		labels := must(c.Issues.AddLabelsToIssue(ctx, "NixOS", "nixpkgs", 1, []string{"0.kind: build failure"})).get(t)
		if len(labels) != 1 || labels[0].GetName() != "0.kind: build failure" {
			t.Fatalf("labels = %v", labels)
		}
	}
	_, resp, err := c.PullRequests.RequestReviewers(ctx, "NixOS", "nixpkgs", 1, github.ReviewersRequest{Reviewers: []string{"alice", "bob"}})
	if err == nil || resp.StatusCode != 422 || !strings.Contains(err.Error(), "Reviews may only be requested from collaborators") {
		t.Fatalf("requesting non-collaborator: %v", err)
	}
	pr = must(c.PullRequests.RequestReviewers(ctx, "NixOS", "nixpkgs", 1, github.ReviewersRequest{Reviewers: []string{"alice"}, TeamReviewers: []string{"python"}})).get(t)
	if len(pr.RequestedReviewers) != 1 || pr.RequestedReviewers[0].GetLogin() != "alice" || len(pr.RequestedTeams) != 1 || pr.RequestedTeams[0].GetSlug() != "python" {
		t.Fatalf("reviewers = %v teams = %v", pr.RequestedReviewers, pr.RequestedTeams)
	}
	cm := must(c.Issues.CreateComment(ctx, "NixOS", "nixpkgs", 1, &github.IssueComment{Body: github.String("first")})).get(t)
	must(c.Issues.EditComment(ctx, "NixOS", "nixpkgs", cm.GetID(), &github.IssueComment{Body: github.String("edited")})).get(t)
	comments := must(c.Issues.ListComments(ctx, "NixOS", "nixpkgs", 1, nil)).get(t)
	if len(comments) != 1 || comments[0].GetBody() != "edited" {
		t.Fatalf("comments = %v", comments)
	}

	// A second PR for the same head is refused like GitHub does.
	_, resp, err = c.PullRequests.Create(ctx, "NixOS", "nixpkgs", &github.NewPullRequest{
		Title: github.String("again"), Head: github.String("NixOS:markbot/mark-hello"), Base: github.String("master")})
	if err == nil || resp.StatusCode != 422 || !strings.Contains(err.Error(), "A pull request already exists for NixOS:markbot/mark-hello.") {
		t.Fatalf("duplicate PR: %v", err)
	}

	// Found again by list (head filter) and by search.
	list := must(c.PullRequests.List(ctx, "NixOS", "nixpkgs", &github.PullRequestListOptions{Head: "NixOS:markbot/mark-hello", State: "open"})).get(t)
	if len(list) != 1 || list[0].GetNumber() != 1 {
		t.Fatalf("list by head = %d PRs", len(list))
	}
	res := must(c.Search.Issues(ctx, `repo:NixOS/nixpkgs is:pr is:open label:"0.kind: build failure" in:body "<!-- markbot -->"`, nil)).get(t)
	if res.GetTotal() != 1 || res.Issues[0].GetNumber() != 1 || !res.Issues[0].IsPullRequest() {
		t.Fatalf("search = %+v", res)
	}

	// The branch is a real git branch: clone and compare.
	work := t.TempDir()
	gitCmd(t, work, "clone", "--quiet", "--branch", "markbot/mark-hello", s.RepoPath(), "nixpkgs")
	got, err := os.ReadFile(filepath.Join(work, "nixpkgs", "pkgs/by-name/he/hello/package.nix"))
	if err != nil || string(got) != marked {
		t.Fatalf("cloned file = %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(work, "nixpkgs", "pkgs/development/python-modules/x/default.nix")); !os.IsNotExist(err) {
		t.Fatalf("deleted file still present: %v", err)
	}
	if _, err := os.Stat(filepath.Join(work, "nixpkgs", "README.md")); err != nil {
		t.Fatalf("base_tree content lost: %v", err)
	}

	// Merging writes a merge commit on master.
	mr := must(c.PullRequests.Merge(ctx, "NixOS", "nixpkgs", 1, "", &github.PullRequestOptions{SHA: sha})).get(t)
	if !mr.GetMerged() {
		t.Fatal("not merged")
	}
	onMaster, err := s.File("master", "pkgs/by-name/he/hello/package.nix")
	if err != nil || string(onMaster) != marked {
		t.Fatalf("master after merge = %q, %v", onMaster, err)
	}
	head, _ := s.Ref("master")
	if head != mr.GetSHA() {
		t.Fatalf("master = %s, merge sha %s", head, mr.GetSHA())
	}
	parents := strings.Fields(gitCmd(t, s.RepoPath(), "rev-list", "--parents", "-n1", head))
	if len(parents) != 3 || parents[2] != sha {
		t.Fatalf("merge commit parents = %v", parents)
	}
	pr = must(c.PullRequests.Get(ctx, "NixOS", "nixpkgs", 1)).get(t)
	if !pr.GetMerged() || pr.GetState() != "closed" || pr.GetMergeCommitSHA() != head {
		t.Fatalf("after merge: merged=%v state=%s", pr.GetMerged(), pr.GetState())
	}
	if _, resp, err := c.PullRequests.Merge(ctx, "NixOS", "nixpkgs", 1, "", nil); err == nil || resp.StatusCode != 405 {
		t.Fatalf("merging twice: %v", err)
	}

	// Request accounting.
	if n := s.RequestCount("POST /repos/{owner}/{repo}/pulls"); n != 2 {
		t.Errorf("POST pulls count = %d, want 2", n)
	}
	if n := s.RequestCount("POST /repos/{owner}/{repo}/issues/{number}/labels"); n != 2 {
		t.Errorf("labels count = %d, want 2", n)
	}
	var created int
	for _, m := range s.Mutations() {
		if m.Endpoint == "POST /repos/{owner}/{repo}/pulls" && m.Status == 201 {
			created++
			if !strings.Contains(m.Summary, "create PR #1 NixOS:markbot/mark-hello → master") {
				t.Errorf("summary = %q", m.Summary)
			}
		}
	}
	if created != 1 {
		t.Errorf("created PRs recorded = %d", created)
	}
}

func TestRefs(t *testing.T) {
	s := New(t, sampleOptions())
	c := s.Client()
	master, _ := s.Ref("master")
	text := "v2\n"
	second := commitFiles(t, c, "NixOS", "master", "b", map[string]*string{"README.md": &text})

	tests := []struct {
		name   string
		do     func() (*github.Response, error)
		status int
		msg    string
	}{
		{"create existing", func() (*github.Response, error) {
			_, r, err := c.Git.CreateRef(ctx, "NixOS", "nixpkgs", &github.Reference{Ref: github.String("refs/heads/b"), Object: &github.GitObject{SHA: &master}})
			return r, err
		}, 422, "Reference already exists"},
		{"create missing object", func() (*github.Response, error) {
			sha := strings.Repeat("ab", 20)
			_, r, err := c.Git.CreateRef(ctx, "NixOS", "nixpkgs", &github.Reference{Ref: github.String("refs/heads/c"), Object: &github.GitObject{SHA: &sha}})
			return r, err
		}, 422, "Object does not exist"},
		{"non fast-forward", func() (*github.Response, error) {
			_, r, err := c.Git.UpdateRef(ctx, "NixOS", "nixpkgs", &github.Reference{Ref: github.String("refs/heads/b"), Object: &github.GitObject{SHA: &master}}, false)
			return r, err
		}, 422, "Update is not a fast forward"},
		{"forced", func() (*github.Response, error) {
			_, r, err := c.Git.UpdateRef(ctx, "NixOS", "nixpkgs", &github.Reference{Ref: github.String("refs/heads/b"), Object: &github.GitObject{SHA: &master}}, true)
			return r, err
		}, 200, ""},
		{"fast-forward", func() (*github.Response, error) {
			_, r, err := c.Git.UpdateRef(ctx, "NixOS", "nixpkgs", &github.Reference{Ref: github.String("refs/heads/b"), Object: &github.GitObject{SHA: &second}}, false)
			return r, err
		}, 200, ""},
		{"get missing", func() (*github.Response, error) {
			_, r, err := c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/nope")
			return r, err
		}, 404, "Not Found"},
		{"delete", func() (*github.Response, error) { return c.Git.DeleteRef(ctx, "NixOS", "nixpkgs", "heads/b") }, 204, ""},
		{"delete again", func() (*github.Response, error) { return c.Git.DeleteRef(ctx, "NixOS", "nixpkgs", "heads/b") }, 422, "Reference does not exist"},
		{"missing file", func() (*github.Response, error) {
			_, _, r, err := c.Repositories.GetContents(ctx, "NixOS", "nixpkgs", "nope.nix", nil)
			return r, err
		}, 404, "Not Found"},
		{"missing repo", func() (*github.Response, error) {
			_, r, err := c.Git.GetRef(ctx, "NixOS", "other", "heads/master")
			return r, err
		}, 404, "Not Found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.do()
			if resp == nil || resp.StatusCode != tc.status {
				t.Fatalf("status = %v, want %d (err %v)", resp, tc.status, err)
			}
			if tc.msg != "" {
				var er *github.ErrorResponse
				if !errors.As(err, &er) || er.Message != tc.msg {
					t.Fatalf("err = %v, want message %q", err, tc.msg)
				}
			} else if err != nil {
				t.Fatal(err)
			}
		})
	}
	if got, _ := s.Ref("master"); got != master {
		t.Fatal("master moved")
	}
	refs := must(c.Git.ListMatchingRefs(ctx, "NixOS", "nixpkgs", &github.ReferenceListOptions{Ref: "heads/"})).get(t)
	if len(refs) != 1 || refs[0].GetRef() != "refs/heads/master" {
		t.Fatalf("matching refs = %v", refs)
	}
	if b := s.Branches(); len(b) != 1 || b[0] != "master" {
		t.Fatalf("branches = %v", b)
	}
}

func TestTreeEntriesBySHAAndValidation(t *testing.T) {
	s := New(t, sampleOptions())
	c := s.Client()
	master := must(c.Git.GetCommit(ctx, "NixOS", "nixpkgs", mustRef(t, s, "master"))).get(t)
	full := must(c.Git.GetTree(ctx, "NixOS", "nixpkgs", master.Tree.GetSHA(), true)).get(t)
	var helloBlob string
	for _, e := range full.Entries {
		if e.GetPath() == "pkgs/by-name/he/hello/package.nix" {
			helloBlob = e.GetSHA()
		}
	}
	if helloBlob == "" {
		t.Fatalf("recursive tree lacks hello: %v", full.Entries)
	}
	// Copy by sha, no base tree: the tree holds just that entry.
	tree := must(c.Git.CreateTree(ctx, "NixOS", "nixpkgs", "", []*github.TreeEntry{
		{Path: github.String("copy/hello.nix"), Mode: github.String("100644"), Type: github.String("blob"), SHA: &helloBlob}})).get(t)
	if len(tree.Entries) != 1 || tree.Entries[0].GetPath() != "copy" || tree.Entries[0].GetType() != "tree" {
		t.Fatalf("tree = %v", tree.Entries)
	}
	bad := []*github.TreeEntry{
		{Path: github.String("../x"), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String("x")},
		{Path: github.String("x"), Mode: github.String("100644"), Type: github.String("blob"), SHA: github.String(master.GetSHA())},
		{Path: github.String("x"), Mode: github.String("040000"), Type: github.String("tree"), SHA: &helloBlob},
	}
	for _, e := range bad {
		if _, resp, err := c.Git.CreateTree(ctx, "NixOS", "nixpkgs", master.Tree.GetSHA(), []*github.TreeEntry{e}); err == nil || resp.StatusCode != 422 {
			t.Errorf("entry %v: err %v", e, err)
		}
	}
	if _, resp, err := c.Git.CreateTree(ctx, "NixOS", "nixpkgs", master.GetSHA(), []*github.TreeEntry{
		{Path: github.String("a"), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String("a")}}); err == nil || resp.StatusCode != 422 {
		t.Errorf("commit sha as base_tree: %v", err)
	}
	if _, resp, err := c.Git.CreateCommit(ctx, "NixOS", "nixpkgs", &github.Commit{Message: github.String("m"), Tree: &github.Tree{SHA: master.SHA}}, nil); err == nil || resp.StatusCode != 422 {
		t.Errorf("commit with a commit as tree: %v", err)
	}
}

func mustRef(t *testing.T, s *Server, branch string) string {
	t.Helper()
	sha, ok := s.Ref(branch)
	if !ok {
		t.Fatalf("no branch %s", branch)
	}
	return sha
}

func TestForkPullRequestAndHumanActions(t *testing.T) {
	s := New(t, sampleOptions())
	c := s.Client()
	text := "from fork\n"
	sha := commitFiles(t, c, "markbot-fork", "master", "markbot/x", map[string]*string{"FORK.md": &text})
	if _, ok := s.Ref("markbot/x"); ok {
		t.Fatal("fork branch leaked into upstream")
	}
	pr := must(c.PullRequests.Create(ctx, "NixOS", "nixpkgs", &github.NewPullRequest{
		Title: github.String("x"), Head: github.String("markbot-fork:markbot/x"), Base: github.String("master"), MaintainerCanModify: github.Bool(true)})).get(t)
	if pr.GetHead().GetLabel() != "markbot-fork:markbot/x" || !pr.GetHead().GetRepo().GetFork() || !pr.GetMaintainerCanModify() {
		t.Fatalf("head = %+v", pr.GetHead())
	}
	list := must(c.PullRequests.List(ctx, "NixOS", "nixpkgs", &github.PullRequestListOptions{Head: "markbot-fork:markbot/x"})).get(t)
	if len(list) != 1 {
		t.Fatalf("list by fork head = %d", len(list))
	}
	if got := strings.TrimSpace(gitCmd(t, s.RepoPath(), "rev-parse", "refs/pull/1/head")); got != sha {
		t.Fatalf("refs/pull/1/head = %s, want %s", got, sha)
	}
	if _, err := s.MergePullRequest(1, "alice", "squash"); err != nil {
		t.Fatal(err)
	}
	got, err := s.File("master", "FORK.md")
	if err != nil || string(got) != text {
		t.Fatalf("FORK.md on master = %q %v", got, err)
	}

	// A human commits on master; a second PR whose branch is deleted closes.
	human := "human\n"
	if _, err := s.Commit("master", "human edit", map[string]*string{"README.md": &human}); err != nil {
		t.Fatal(err)
	}
	commitFiles(t, c, "NixOS", "master", "markbot/y", map[string]*string{"Y.md": &text})
	must(c.PullRequests.Create(ctx, "NixOS", "nixpkgs", &github.NewPullRequest{Title: github.String("y"), Head: github.String("markbot/y"), Base: github.String("master")})).get(t)
	if _, err := c.Git.DeleteRef(ctx, "NixOS", "nixpkgs", "heads/markbot/y"); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.PullRequest(2); p.State != "closed" || p.Merged {
		t.Fatalf("PR 2 after branch deletion: %s merged=%v", p.State, p.Merged)
	}
	// Reopening needs the branch.
	if _, resp, err := c.PullRequests.Edit(ctx, "NixOS", "nixpkgs", 2, &github.PullRequest{State: github.String("open")}); err == nil || resp.StatusCode != 422 {
		t.Fatalf("reopen without branch: %v", err)
	}
	// No commits between → 422.
	must(c.Git.CreateRef(ctx, "NixOS", "nixpkgs", &github.Reference{Ref: github.String("refs/heads/same"), Object: &github.GitObject{SHA: github.String(mustRef(t, s, "master"))}})).get(t)
	if _, resp, err := c.PullRequests.Create(ctx, "NixOS", "nixpkgs", &github.NewPullRequest{Title: github.String("same"), Head: github.String("same"), Base: github.String("master")}); err == nil || resp.StatusCode != 422 || !strings.Contains(err.Error(), "No commits between") {
		t.Fatalf("empty PR: %v", err)
	}
}

func TestListPaginationAndSearchSubset(t *testing.T) {
	s := New(t, sampleOptions())
	c := s.Client()
	for i := range 5 {
		text := strings.Repeat("x", i+1)
		br := "markbot/p" + string(rune('a'+i))
		commitFiles(t, c, "NixOS", "master", br, map[string]*string{"f": &text})
		must(c.PullRequests.Create(ctx, "NixOS", "nixpkgs", &github.NewPullRequest{Title: github.String("pr " + br), Head: github.String(br), Base: github.String("master"), Body: github.String("body " + br)})).get(t)
	}
	must(c.PullRequests.Edit(ctx, "NixOS", "nixpkgs", 2, &github.PullRequest{State: github.String("closed")})).get(t)

	var seen []int
	opt := &github.PullRequestListOptions{State: "all", ListOptions: github.ListOptions{PerPage: 2}}
	pages := 0
	for {
		prs, resp, err := c.PullRequests.List(ctx, "NixOS", "nixpkgs", opt)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range prs {
			seen = append(seen, p.GetNumber())
		}
		if resp.NextPage == 0 {
			if pages > 1 && resp.PrevPage == 0 {
				t.Error("no prev link on last page")
			}
			break
		}
		opt.Page = resp.NextPage
	}
	if pages != 3 || len(seen) != 5 || seen[0] != 5 {
		t.Fatalf("pages=%d seen=%v", pages, seen)
	}
	open := must(c.PullRequests.List(ctx, "NixOS", "nixpkgs", nil)).get(t)
	if len(open) != 4 {
		t.Fatalf("open PRs = %d", len(open))
	}

	tests := []struct {
		q    string
		want []int
		err  bool
	}{
		{`repo:NixOS/nixpkgs is:pr is:open`, []int{5, 4, 3, 1}, false},
		{`repo:NixOS/nixpkgs is:pr is:closed`, []int{2}, false},
		{`repo:NixOS/nixpkgs is:pr head:markbot/pc`, []int{3}, false},
		{`repo:NixOS/nixpkgs is:pr in:body "body markbot/pd"`, []int{4}, false},
		{`repo:NixOS/nixpkgs is:pr in:title "body"`, nil, false},
		{`repo:other/repo is:pr`, nil, false},
		{`repo:NixOS/nixpkgs is:issue`, nil, false},
		{`repo:NixOS/nixpkgs is:pr sort:created`, nil, true},
		{`repo:NixOS/nixpkgs "unbalanced`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			res, resp, err := c.Search.Issues(ctx, tc.q, nil)
			if tc.err {
				if err == nil || resp.StatusCode != 422 {
					t.Fatalf("want 422, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, i := range res.Issues {
				got = append(got, i.GetNumber())
			}
			if res.GetTotal() != len(tc.want) || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v (total %d), want %v", got, res.GetTotal(), tc.want)
			}
		})
	}
}

func TestUsersTeamsAndPrefix(t *testing.T) {
	s := New(t, sampleOptions())
	c := s.Client()
	u := must(c.Users.Get(ctx, "alice")).get(t)
	if u.GetID() != 101 || u.GetName() != "Alice" {
		t.Fatalf("user = %+v", u)
	}
	u = must(c.Users.GetByID(ctx, 103)).get(t)
	if u.GetLogin() != "carol" {
		t.Fatalf("by id = %s", u.GetLogin())
	}
	if _, resp, err := c.Users.GetByID(ctx, 999); err == nil || resp.StatusCode != 404 {
		t.Fatalf("unknown id: %v", err)
	}
	team := must(c.Teams.GetTeamBySlug(ctx, "NixOS", "python")).get(t)
	if team.GetSlug() != "python" {
		t.Fatalf("team = %+v", team)
	}
	// Outside the prefix: 404, so absolute URL building is caught.
	resp, err := http.Get(strings.TrimSuffix(s.URL(), "/api/v3/") + "/repos/NixOS/nixpkgs/git/ref/heads/master")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("unprefixed request = %d", resp.StatusCode)
	}
	// Rate-limit headers are sane.
	_, r, err := c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master")
	if err != nil {
		t.Fatal(err)
	}
	if r.Rate.Limit != 5000 || r.Rate.Remaining <= 0 || r.Rate.Remaining >= 5000 || r.Rate.Reset.Before(time.Now()) {
		t.Fatalf("rate = %+v", r.Rate)
	}
	if r.Header.Get("X-RateLimit-Used") == "" {
		t.Fatal("no X-RateLimit-Used")
	}
}

func TestSeedDir(t *testing.T) {
	RequireGit(t)
	dir := t.TempDir()
	for p, content := range map[string]string{"pkgs/a/default.nix": "a", "lib/x.nix": "x", ".git/config": "not copied"} {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, []byte(content), 0o644)
	}
	s := New(t, Options{SeedDir: dir, DefaultBranch: "main"})
	if got, err := s.File("main", "pkgs/a/default.nix"); err != nil || string(got) != "a" {
		t.Fatalf("seeded file = %q %v", got, err)
	}
	if _, err := s.File("main", ".git/config"); err == nil {
		t.Fatal(".git was seeded")
	}
	_, dirContent, _, err := s.Client().Repositories.GetContents(ctx, "NixOS", "nixpkgs", "pkgs", &github.RepositoryContentGetOptions{Ref: "main"})
	if err != nil || len(dirContent) != 1 || dirContent[0].GetType() != "dir" {
		t.Fatalf("dir listing = %v %v", dirContent, err)
	}
	path := s.RepoPath()
	s.Close()
	s.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("repository not removed: %v", err)
	}
}

func TestConcurrentClients(t *testing.T) {
	s := New(t, sampleOptions())
	c := s.Client()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			br := "markbot/c" + string(rune('a'+i))
			text := br
			ref, _, err := c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master")
			if err != nil {
				errs <- err
				return
			}
			parent, _, err := c.Git.GetCommit(ctx, "NixOS", "nixpkgs", ref.Object.GetSHA())
			if err != nil {
				errs <- err
				return
			}
			tree, _, err := c.Git.CreateTree(ctx, "NixOS", "nixpkgs", parent.Tree.GetSHA(), []*github.TreeEntry{{Path: github.String("c/" + br), Mode: github.String("100644"), Type: github.String("blob"), Content: &text}})
			if err != nil {
				errs <- err
				return
			}
			cm, _, err := c.Git.CreateCommit(ctx, "NixOS", "nixpkgs", &github.Commit{Message: &br, Tree: &github.Tree{SHA: tree.SHA}, Parents: []*github.Commit{{SHA: parent.SHA}}}, nil)
			if err != nil {
				errs <- err
				return
			}
			// Two goroutines race to create the same ref: exactly one wins.
			for range 2 {
				_, _, _ = c.Git.CreateRef(ctx, "NixOS", "nixpkgs", &github.Reference{Ref: github.String("refs/heads/" + br), Object: &github.GitObject{SHA: cm.SHA}})
			}
			_, _, err = c.PullRequests.Create(ctx, "NixOS", "nixpkgs", &github.NewPullRequest{Title: &br, Head: &br, Base: github.String("master")})
			if err != nil {
				errs <- err
			}
			_, _, _ = c.PullRequests.List(ctx, "NixOS", "nixpkgs", nil)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(s.PullRequests()); n != 4 {
		t.Fatalf("PRs = %d", n)
	}
	var dup int
	for _, m := range s.Mutations() {
		if m.Endpoint == "POST /repos/{owner}/{repo}/git/refs" && m.Status == 422 {
			dup++
		}
	}
	if dup != 4 {
		t.Fatalf("duplicate ref creations refused = %d, want 4", dup)
	}
}

func TestIssuesAPIOnPullRequests(t *testing.T) {
	s := New(t, sampleOptions())
	c := s.Client()
	repo := must(c.Repositories.Get(ctx, "NixOS", "nixpkgs")).get(t)
	if repo.GetDefaultBranch() != "master" || repo.GetFullName() != "NixOS/nixpkgs" {
		t.Fatalf("repo = %+v", repo)
	}
	text := "x"
	commitFiles(t, c, "NixOS", "master", "b", map[string]*string{"x": &text})
	must(c.PullRequests.Create(ctx, "NixOS", "nixpkgs", &github.NewPullRequest{Title: github.String("t"), Head: github.String("b"), Base: github.String("master")})).get(t)
	is := must(c.Issues.Edit(ctx, "NixOS", "nixpkgs", 1, &github.IssueRequest{State: github.String("closed"), Labels: &[]string{"a", "b", "a"}})).get(t)
	if is.GetState() != "closed" || len(is.Labels) != 2 || !is.IsPullRequest() {
		t.Fatalf("issue = %+v", is)
	}
	if p, _ := s.PullRequest(1); p.State != "closed" || p.Merged {
		t.Fatalf("PR = %+v", p)
	}
	if _, err := c.Issues.RemoveLabelForIssue(ctx, "NixOS", "nixpkgs", 1, "a"); err != nil {
		t.Fatal(err)
	}
	labels := must(c.Issues.ListLabelsByIssue(ctx, "NixOS", "nixpkgs", 1, nil)).get(t)
	if len(labels) != 1 || labels[0].GetName() != "b" {
		t.Fatalf("labels = %v", labels)
	}
	if _, err := c.Issues.RemoveLabelForIssue(ctx, "NixOS", "nixpkgs", 1, "a"); err == nil {
		t.Fatal("removing an absent label succeeded")
	}
	if _, _, err := c.Issues.Get(ctx, "NixOS", "nixpkgs", 2); err == nil {
		t.Fatal("issue 2 exists")
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	RequireGit(t)
	before := runtime.NumGoroutine()
	s, err := Start(sampleOptions())
	if err != nil {
		t.Fatal(err)
	}
	c := s.Client()
	must(c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master")).get(t)
	s.Inject(Fault{Kind: DropConnection, Method: "POST"})
	c.Issues.CreateComment(ctx, "NixOS", "nixpkgs", 1, &github.IssueComment{Body: github.String("x")})
	s.Close()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
