package githubtest

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

// TestPullCommitsAndCommitFiles: markbot's commit, then a human's push
// (through CommitAs) on the PR's branch, read back through go-github as
// internal/prs reads them: the PR's commits with the accounts they belong
// to, and each commit's files against its first parent.
func TestPullCommitsAndCommitFiles(t *testing.T) {
	opts := sampleOptions()
	opts.Users = append(opts.Users, User{Login: "dora", ID: 104, Email: "dora@example.org"})
	s := New(t, opts)
	c := s.Client()
	marked := strings.Replace(helloNix, "    description", "    broken = true;\n    description", 1)
	bot := commitFiles(t, c, "NixOS", "master", "markbot/mark-hello", map[string]*string{"pkgs/by-name/he/hello/package.nix": &marked})
	must(c.PullRequests.Create(ctx, "NixOS", "nixpkgs", &github.NewPullRequest{Title: github.String("hello: mark broken"),
		Head: github.String("markbot/mark-hello"), Base: github.String("master")})).get(t)

	fixed := strings.Replace(helloNix, "2.12.2", "2.12.3", 1)
	readme := "nixpkgs\n" // README.md's content: a rename
	alice, err := s.CommitAs("markbot/mark-hello", "alice", "hello: 2.12.2 -> 2.12.3\n\nFixes the build.", map[string]*string{
		"pkgs/by-name/he/hello/package.nix": &fixed,
		"README.md":                         nil,
		"README":                            &readme,
	})
	if err != nil {
		t.Fatal(err)
	}
	dora, err := s.CommitAs("markbot/mark-hello", "dora", "x: tweak", map[string]*string{"pkgs/development/python-modules/x/default.nix": &readme})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit("markbot/mark-hello", "by someone unknown to GitHub", map[string]*string{"NEWS": &readme}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitAs("markbot/mark-hello", "nobody", "x", nil); err == nil {
		t.Error("CommitAs an unknown login succeeded")
	}
	if p, _ := s.PullRequest(1); p.HeadSHA == bot {
		t.Fatal("the PR's head did not follow the pushes")
	}

	list := must(c.PullRequests.ListCommits(ctx, "NixOS", "nixpkgs", 1, nil)).get(t)
	var got []string
	for _, rc := range list {
		got = append(got, rc.GetAuthor().GetLogin()+" "+firstLine(rc.GetCommit().GetMessage()))
		if len(rc.Files) != 0 || rc.Stats != nil {
			t.Errorf("%s: the list carries files or stats", rc.GetSHA())
		}
		if len(rc.Parents) != 1 {
			t.Errorf("%s: parents %v", rc.GetSHA(), rc.Parents)
		}
	}
	want := []string{"markbot[bot] hello: mark broken", "alice hello: 2.12.2 -> 2.12.3", "dora x: tweak", " by someone unknown to GitHub"}
	if !slices.Equal(got, want) {
		t.Fatalf("PR commits %q, want %q", got, want)
	}
	if list[0].GetSHA() != bot || list[1].GetSHA() != alice || list[2].GetSHA() != dora || list[1].Parents[0].GetSHA() != bot {
		t.Errorf("PR commits out of order: %v", list)
	}
	if list[3].Author != nil || list[3].GetCommit().GetAuthor().GetEmail() != "human@example.invalid" {
		t.Errorf("unknown author linked to %v", list[3].Author)
	}

	page := must(c.PullRequests.ListCommits(ctx, "NixOS", "nixpkgs", 1, &github.ListOptions{PerPage: 3, Page: 2})).get(t)
	if len(page) != 1 || page[0].GetSHA() != list[3].GetSHA() {
		t.Errorf("page 2 of 3 a page: %v", page)
	}

	rc := must(c.Repositories.GetCommit(ctx, "NixOS", "nixpkgs", alice, nil)).get(t)
	if rc.GetAuthor().GetLogin() != "alice" || rc.GetCommit().GetMessage() != "hello: 2.12.2 -> 2.12.3\n\nFixes the build." {
		t.Errorf("commit %s by %s: %q", alice, rc.GetAuthor().GetLogin(), rc.GetCommit().GetMessage())
	}
	var files []string
	for _, f := range rc.Files {
		files = append(files, f.GetStatus()+" "+f.GetPreviousFilename()+" "+f.GetFilename())
	}
	if want := []string{"renamed README.md README", "modified  pkgs/by-name/he/hello/package.nix"}; !slices.Equal(files, want) {
		t.Errorf("files %q, want %q", files, want)
	}
	hello := rc.Files[1]
	if hello.GetAdditions() != 1 || hello.GetDeletions() != 2 || !strings.HasPrefix(hello.GetPatch(), "@@ ") ||
		!strings.Contains(hello.GetPatch(), "+  version = \"2.12.3\";") || !strings.Contains(hello.GetPatch(), "-    broken = true;") || hello.GetSHA() == "" {
		t.Errorf("hello's file entry %+v\n%s", hello, hello.GetPatch())
	}
	if rc.Stats.GetTotal() != rc.Stats.GetAdditions()+rc.Stats.GetDeletions() || rc.Stats.GetAdditions() != 1 || rc.Stats.GetDeletions() != 2 {
		t.Errorf("stats %+v", rc.Stats)
	}
	// The first commit of the branch against its parent on master; the
	// bot's own email links it to the bot.
	rc = must(c.Repositories.GetCommit(ctx, "NixOS", "nixpkgs", bot, nil)).get(t)
	if rc.GetAuthor().GetLogin() != "markbot[bot]" || len(rc.Files) != 1 || rc.Files[0].GetFilename() != "pkgs/by-name/he/hello/package.nix" {
		t.Errorf("markbot's commit: %v %v", rc.GetAuthor(), rc.Files)
	}
	// A user with an email of their own.
	if rc := must(c.Repositories.GetCommit(ctx, "NixOS", "nixpkgs", dora, nil)).get(t); rc.GetAuthor().GetLogin() != "dora" || rc.GetCommitter().GetLogin() != "dora" {
		t.Errorf("dora's commit linked to %v", rc.GetAuthor())
	}

	if _, resp, err := c.Repositories.GetCommit(ctx, "NixOS", "nixpkgs", strings.Repeat("0", 40), nil); err == nil || resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(err.Error(), "No commit found for SHA") {
		t.Errorf("unknown SHA: %v", err)
	}
	if _, resp, err := c.PullRequests.ListCommits(ctx, "NixOS", "nixpkgs", 9, nil); err == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("commits of PR #9: %v", err)
	}
}

// TestNewEndpointsFaults: the fault injection of every endpoint applies to
// the commits endpoints and to what a drop writes (PATCH pulls, comments,
// forced ref updates): not performed, or performed with the answer lost.
func TestNewEndpointsFaults(t *testing.T) {
	s := New(t, sampleOptions())
	c := s.Client()
	text := "x"
	sha := commitFiles(t, c, "NixOS", "master", "markbot/b", map[string]*string{"x": &text})
	must(c.PullRequests.Create(ctx, "NixOS", "nixpkgs", &github.NewPullRequest{Title: github.String("t"),
		Head: github.String("markbot/b"), Base: github.String("master")})).get(t)

	s.Inject(Fault{Method: "GET", Path: "repos/*/*/pulls/*/commits", Kind: ServerError, Status: 502})
	if _, resp, err := c.PullRequests.ListCommits(ctx, "NixOS", "nixpkgs", 1, nil); err == nil || resp.StatusCode != 502 {
		t.Fatalf("faulted list: %v", err)
	}
	if list := must(c.PullRequests.ListCommits(ctx, "NixOS", "nixpkgs", 1, nil)).get(t); len(list) != 1 {
		t.Fatalf("after the fault: %d commits", len(list))
	}
	s.Inject(Fault{Method: "GET", Path: "repos/*/*/commits/*", Kind: TooManyRequests})
	if _, resp, err := c.Repositories.GetCommit(ctx, "NixOS", "nixpkgs", sha, nil); err == nil || resp.StatusCode != 429 {
		t.Fatalf("faulted commit: %v", err)
	}

	// Writes: a PATCH whose answer is lost was performed; one refused was not.
	s.Inject(Fault{Method: "PATCH", Path: "repos/*/*/pulls/1", Kind: ServerError, After: true})
	if _, _, err := c.PullRequests.Edit(ctx, "NixOS", "nixpkgs", 1, &github.PullRequest{Title: github.String("new title")}); err == nil {
		t.Fatal("no error from the faulted edit")
	}
	if p, _ := s.PullRequest(1); p.Title != "new title" {
		t.Errorf("edit with a lost answer not performed: %q", p.Title)
	}
	s.Inject(Fault{Method: "PATCH", Path: "repos/*/*/pulls/1", Kind: ServerError})
	if _, _, err := c.PullRequests.Edit(ctx, "NixOS", "nixpkgs", 1, &github.PullRequest{State: github.String("closed")}); err == nil {
		t.Fatal("no error from the refused close")
	}
	if p, _ := s.PullRequest(1); p.State != "open" {
		t.Error("a refused close was performed")
	}
	must(c.PullRequests.Edit(ctx, "NixOS", "nixpkgs", 1, &github.PullRequest{State: github.String("closed"), Body: github.String("b")})).get(t)
	if p, _ := s.PullRequest(1); p.State != "closed" || p.Merged || p.Body != "b" {
		t.Errorf("closed PR %+v", p)
	}
	s.Inject(Fault{Method: "POST", Path: "repos/*/*/issues/*/comments", Kind: DropConnection, After: true})
	if _, _, err := c.Issues.CreateComment(ctx, "NixOS", "nixpkgs", 1, &github.IssueComment{Body: github.String("hi")}); err == nil {
		t.Fatal("no error from the dropped connection")
	}
	if p, _ := s.PullRequest(1); len(p.Comments) != 1 {
		t.Errorf("%d comments after a lost answer, want 1", len(p.Comments))
	}
	master, _ := s.Ref("master")
	s.Inject(Fault{Method: "PATCH", Path: "repos/*/*/git/refs/**", Kind: SecondaryRateLimit})
	if _, _, err := c.Git.UpdateRef(ctx, "NixOS", "nixpkgs", &github.Reference{Ref: github.String("heads/markbot/b"),
		Object: &github.GitObject{SHA: github.String(master)}}, true); err == nil {
		t.Fatal("no error from the rate-limited ref update")
	}
	if head, _ := s.Ref("markbot/b"); head != sha {
		t.Error("a refused forced update moved the branch")
	}
}
