package githubtest

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
)

// twoInstallations: the App on NixOS (77, all its repositories) and on the
// fork's owner markbot-fork (88, only markbot-fork/nixpkgs).
func twoInstallations(t *testing.T) (*Server, *App, []byte) {
	t.Helper()
	app, key, err := TestApp()
	if err != nil {
		t.Fatal(err)
	}
	app.Installations = []Installation{
		{ID: 77, Account: "NixOS"},
		{ID: 88, Account: "markbot-fork", Repositories: []string{"markbot-fork/nixpkgs"}},
	}
	app.PersonalTokens = []string{"ghp_personal"}
	opts := sampleOptions()
	opts.App = app
	return New(t, opts), app, key
}

func statusOfErr(err error) (int, string) {
	er, ok := err.(*github.ErrorResponse)
	if !ok || er.Response == nil {
		return 0, ""
	}
	return er.Response.StatusCode, er.Message
}

// TestTokensReachTheirInstallation: each installation's token writes only
// to its own repositories; elsewhere it reads (public repositories) and is
// refused writes with GitHub's 403. A personal token writes to both.
func TestTokensReachTheirInstallation(t *testing.T) {
	s, _, _ := twoInstallations(t)
	up, err := s.InstallationClient(77)
	if err != nil {
		t.Fatal(err)
	}
	fork, err := s.InstallationClient(88)
	if err != nil {
		t.Fatal(err)
	}
	personal := s.clientWithToken("ghp_personal")
	master := mustRef(t, s, "master")
	newRef := func(name string) *github.Reference {
		return &github.Reference{Ref: github.String("refs/heads/" + name), Object: &github.GitObject{SHA: github.String(master)}}
	}
	np := func(head string) *github.NewPullRequest {
		return &github.NewPullRequest{Title: github.String("t"), Head: github.String(head), Base: github.String("master"), Body: github.String("b")}
	}

	for _, tc := range []struct {
		name string
		do   func() (*github.Response, error)
		want int // 0: allowed
	}{
		{"upstream token writes a branch upstream", func() (*github.Response, error) {
			_, r, err := up.Git.CreateRef(ctx, "NixOS", "nixpkgs", newRef("up"))
			return r, err
		}, 0},
		{"upstream token writes a branch to the fork", func() (*github.Response, error) {
			_, r, err := up.Git.CreateRef(ctx, "markbot-fork", "nixpkgs", newRef("x"))
			return r, err
		}, 403},
		{"upstream token reads the fork (public)", func() (*github.Response, error) {
			_, r, err := up.Git.GetRef(ctx, "markbot-fork", "nixpkgs", "heads/master")
			return r, err
		}, 0},
		{"fork token writes a branch to the fork", func() (*github.Response, error) {
			_, r, err := fork.Git.CreateRef(ctx, "markbot-fork", "nixpkgs", newRef("f"))
			return r, err
		}, 0},
		{"fork token writes a tree upstream", func() (*github.Response, error) {
			_, r, err := fork.Git.CreateTree(ctx, "NixOS", "nixpkgs", "", []*github.TreeEntry{{Path: github.String("a"), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String("a")}})
			return r, err
		}, 403},
		{"fork token opens the PR upstream", func() (*github.Response, error) {
			_, r, err := fork.PullRequests.Create(ctx, "NixOS", "nixpkgs", np("markbot-fork:f"))
			return r, err
		}, 403},
		{"fork token labels upstream", func() (*github.Response, error) {
			_, r, err := fork.Issues.AddLabelsToIssue(ctx, "NixOS", "nixpkgs", 1, []string{"x"})
			return r, err
		}, 403},
		{"upstream token opens the cross-fork PR", func() (*github.Response, error) {
			// The fork's installation writes the branch's commit.
			base := must(fork.Git.GetCommit(ctx, "markbot-fork", "nixpkgs", master)).get(t)
			tree := must(fork.Git.CreateTree(ctx, "markbot-fork", "nixpkgs", base.GetTree().GetSHA(), []*github.TreeEntry{
				{Path: github.String("README.md"), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String("edited\n")}})).get(t)
			commit := must(fork.Git.CreateCommit(ctx, "markbot-fork", "nixpkgs", &github.Commit{Message: github.String("edit"),
				Tree: &github.Tree{SHA: tree.SHA}, Parents: []*github.Commit{{SHA: github.String(master)}}}, nil)).get(t)
			must(fork.Git.UpdateRef(ctx, "markbot-fork", "nixpkgs", &github.Reference{Ref: github.String("heads/f"),
				Object: &github.GitObject{SHA: commit.SHA}}, true)).get(t)
			_, r, err := up.PullRequests.Create(ctx, "NixOS", "nixpkgs", np("markbot-fork:f"))
			return r, err
		}, 0},
		{"personal token writes to the fork", func() (*github.Response, error) {
			_, r, err := personal.Git.CreateRef(ctx, "markbot-fork", "nixpkgs", newRef("p"))
			return r, err
		}, 0},
		{"personal token writes upstream", func() (*github.Response, error) {
			_, r, err := personal.Git.CreateRef(ctx, "NixOS", "nixpkgs", newRef("p"))
			return r, err
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.do()
			if tc.want == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			code, msg := statusOfErr(err)
			if code != tc.want || msg != "Resource not accessible by integration" {
				t.Fatalf("got %d %q (%v), want %d Resource not accessible by integration", code, msg, err, tc.want)
			}
			if resp.Header.Get("X-Accepted-GitHub-Permissions") == "" {
				t.Error("no X-Accepted-GitHub-Permissions header")
			}
		})
	}
}

// TestTokenRequestNarrows: a token request may narrow repositories and
// permissions, never widen them (ghinstallation's InstallationTokenOptions).
func TestTokenRequestNarrows(t *testing.T) {
	s, app, key := twoInstallations(t)
	client := func(t *testing.T, inst int64, opts *github.InstallationTokenOptions) *github.Client {
		tr, err := ghinstallation.New(http.DefaultTransport, app.ID, inst, key)
		if err != nil {
			t.Fatal(err)
		}
		tr.BaseURL = strings.TrimSuffix(s.URL(), "/")
		tr.InstallationTokenOptions = opts
		c, err := github.NewClient(&http.Client{Transport: tr}).WithEnterpriseURLs(s.URL(), s.URL())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	master := mustRef(t, s, "master")
	ref := &github.Reference{Ref: github.String("refs/heads/n"), Object: &github.GitObject{SHA: github.String(master)}}

	// Repositories outside the installation: 422, no token.
	c := client(t, 77, &github.InstallationTokenOptions{Repositories: []string{"nixpkgs", "elsewhere"}})
	if _, _, err := c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master"); err == nil || !strings.Contains(err.Error(), "422") {
		t.Fatalf("token for a repository the installation lacks: %v", err)
	}
	c = client(t, 88, &github.InstallationTokenOptions{Permissions: &github.InstallationPermissions{Administration: github.String("write")}})
	if _, _, err := c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master"); err == nil || !strings.Contains(err.Error(), "422") {
		t.Fatalf("token with a permission the installation lacks: %v", err)
	}
	// contents: read only: the branch is refused.
	c = client(t, 88, &github.InstallationTokenOptions{Permissions: &github.InstallationPermissions{Contents: github.String("read")}})
	_, resp, err := c.Git.CreateRef(ctx, "markbot-fork", "nixpkgs", ref)
	if code, _ := statusOfErr(err); code != 403 || resp.Header.Get("X-Accepted-GitHub-Permissions") != "contents=write" {
		t.Fatalf("read-only token wrote a branch: %v", err)
	}
	// Narrowed to its one repository, with contents: write: it may.
	c = client(t, 88, &github.InstallationTokenOptions{Repositories: []string{"nixpkgs"}, Permissions: &github.InstallationPermissions{Contents: github.String("write")}})
	must(c.Git.CreateRef(ctx, "markbot-fork", "nixpkgs", ref)).get(t)
}

// TestRepositoryInstallation: GET /repos/{o}/{r}/installation (JWT) names
// the installation that reaches the repository, 404 elsewhere.
func TestRepositoryInstallation(t *testing.T) {
	s, app, key := twoInstallations(t)
	atr, err := ghinstallation.NewAppsTransport(http.DefaultTransport, app.ID, key)
	if err != nil {
		t.Fatal(err)
	}
	atr.BaseURL = strings.TrimSuffix(s.URL(), "/")
	c, err := github.NewClient(&http.Client{Transport: atr}).WithEnterpriseURLs(s.URL(), s.URL())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		owner string
		want  int64
	}{{"NixOS", 77}, {"markbot-fork", 88}} {
		inst := must(c.Apps.FindRepositoryInstallation(ctx, tc.owner, "nixpkgs")).get(t)
		if inst.GetID() != tc.want || !strings.EqualFold(inst.GetAccount().GetLogin(), tc.owner) || inst.GetPermissions().GetContents() != "write" {
			t.Errorf("%s: installation %d on %s (%+v), want %d", tc.owner, inst.GetID(), inst.GetAccount().GetLogin(), inst.GetPermissions(), tc.want)
		}
	}
	// An installation token is not the App's JWT.
	if _, _, err := s.Client().Apps.FindRepositoryInstallation(ctx, "NixOS", "nixpkgs"); err == nil {
		t.Error("an installation token was taken as the App's JWT")
	}
}

// TestInstallationSetup: an installation reaches only its account's
// repositories, as on GitHub.
func TestInstallationSetup(t *testing.T) {
	RequireGit(t)
	app, _, err := TestApp()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		inst []Installation
		want string
	}{
		{[]Installation{{ID: 1, Account: "markbot-fork", Repositories: []string{"NixOS/nixpkgs"}}}, "only its account's repositories"},
		{[]Installation{{ID: 1, Account: "NixOS", Repositories: []string{"NixOS/missing"}}}, "no repository NixOS/missing"},
		{[]Installation{{ID: 1, Account: "NixOS"}, {ID: 1, Account: "x"}}, "unique"},
		{[]Installation{{ID: 1}}, "no account"},
	} {
		a := *app
		a.Installations = tc.inst
		opts := sampleOptions()
		opts.App = &a
		s, err := Start(opts)
		if err == nil {
			s.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.inst, err, tc.want)
		}
	}
}

// TestSeedKeepsExecutable: a seed directory's executable file is 100755
// in the tree, and a tree entry written with 100755 keeps it.
func TestSeedKeepsExecutable(t *testing.T) {
	RequireGit(t)
	dir := t.TempDir()
	writeSeed(t, dir, "pkgs/tools/x/update.sh", "#!/bin/sh\n", 0o755)
	writeSeed(t, dir, "pkgs/tools/x/default.nix", "{ }\n", 0o644)
	s := New(t, Options{SeedDir: dir})
	c := s.Client()
	master := mustRef(t, s, "master")
	commit := must(c.Git.GetCommit(ctx, "NixOS", "nixpkgs", master)).get(t)
	modes := treeModes(t, c, commit.GetTree().GetSHA())
	if modes["pkgs/tools/x/update.sh"] != "100755" || modes["pkgs/tools/x/default.nix"] != "100644" {
		t.Fatalf("seeded modes: %v", modes)
	}
	tree := must(c.Git.CreateTree(ctx, "NixOS", "nixpkgs", commit.GetTree().GetSHA(), []*github.TreeEntry{
		{Path: github.String("pkgs/tools/x/update.sh"), Mode: github.String("100755"), Type: github.String("blob"), Content: github.String("#!/bin/sh\necho\n")},
	})).get(t)
	if m := treeModes(t, c, tree.GetSHA())["pkgs/tools/x/update.sh"]; m != "100755" {
		t.Fatalf("written with 100755, reads %s", m)
	}
}

func treeModes(t *testing.T, c *github.Client, sha string) map[string]string {
	t.Helper()
	tree := must(c.Git.GetTree(ctx, "NixOS", "nixpkgs", sha, true)).get(t)
	out := map[string]string{}
	for _, e := range tree.Entries {
		out[e.GetPath()] = e.GetMode()
	}
	return out
}

func writeSeed(t *testing.T, dir, rel, content string, mode os.FileMode) {
	t.Helper()
	full := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(full, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}
