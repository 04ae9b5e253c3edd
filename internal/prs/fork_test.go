package prs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
)

// The App on NixOS (installation 77) and on the fork's owner markbot-bot
// (88, only markbot-bot/nixpkgs), and a personal token reaching both.
func forkApp(t *testing.T) func(*githubtest.Options) {
	app, _, err := githubtest.TestApp()
	if err != nil {
		t.Fatal(err)
	}
	app.Installations = []githubtest.Installation{
		{ID: 77, Account: "NixOS"},
		{ID: 88, Account: "markbot-bot", Repositories: []string{"markbot-bot/nixpkgs"}},
	}
	app.PersonalTokens = []string{"ghp_personal"}
	return func(o *githubtest.Options) {
		o.Forks = []string{"markbot-bot"}
		o.App = app
	}
}

func (f *fixture) installation(id int64) *github.Client {
	f.t.Helper()
	c, err := f.srv.InstallationClient(id)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) publisherWith(gh Client) *Publisher {
	f.t.Helper()
	p, err := New(gh, f.st, Options{Owner: f.srv.Owner(), Repo: f.srv.Repo(), Fork: "markbot-bot",
		Now: f.now, Sleep: f.sleep, Log: quiet()})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// TestForkUnderTwoInstallations: with tokens scoped per installation, the
// branch, tree and commit go to the fork through the fork's installation,
// the PR, labels and review requests upstream through the upstream one;
// the drop rewrites the fork's branch the same way.
func TestForkUnderTwoInstallations(t *testing.T) {
	f := newFixture(t, forkApp(t))
	gh := FromGitHub(f.installation(77)).WithFork(f.installation(88))
	res, err := f.publisherWith(gh).Publish(bg, seedChanges()[:2])
	if err != nil {
		t.Fatal(err)
	}
	if len(res.PRs) != 1 || res.PRs[0].Status != StatusOpened {
		t.Fatalf("PRs %+v", res.PRs)
	}
	pr, ok := f.srv.PullRequest(1)
	if !ok || pr.HeadOwner != "markbot-bot" || len(pr.Labels) == 0 || len(pr.Reviewers) == 0 {
		t.Fatalf("PR %+v", pr)
	}
	dir, _ := f.srv.ForkPath("markbot-bot")
	if got := git(t, dir, "show", pr.HeadRef+":pkgs/by-name/he/hello/package.nix"); !strings.Contains(got, "broken = true;") {
		t.Errorf("the fork's branch lacks the marker:\n%s", got)
	}
	if len(f.botBranches()) != 0 {
		t.Errorf("branches upstream: %v", f.botBranches())
	}

	drop, err := f.publisherWith(gh).Drop(bg, 1, []Drop{{Attr: "hello", Reason: green}})
	if err != nil || drop.BranchUpdate != BranchRewritten || !slices.Equal(drop.Remaining, []string{"fzf"}) {
		t.Fatalf("drop %+v, %v", drop, err)
	}
	pr, _ = f.srv.PullRequest(1)
	if got := git(t, dir, "show", pr.HeadSHA+":pkgs/by-name/he/hello/package.nix"); strings.Contains(got, "broken = true;") {
		t.Error("hello still marked on the fork's branch")
	}
}

// TestForkWrongInstallation: one installation cannot do both sides, and
// the fake refuses as GitHub does; markbot reports GitHub's 403 and opens
// nothing.
func TestForkWrongInstallation(t *testing.T) {
	for _, tc := range []struct {
		name string
		gh   func(f *fixture) Client
	}{
		{"upstream installation for everything", func(f *fixture) Client { return FromGitHub(f.installation(77)) }},
		{"fork installation for everything", func(f *fixture) Client { return FromGitHub(f.installation(88)) }},
		{"the two swapped", func(f *fixture) Client { return FromGitHub(f.installation(88)).WithFork(f.installation(77)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, forkApp(t))
			res, err := f.publisherWith(tc.gh(f)).Publish(bg, helloChange())
			if err == nil || !strings.Contains(err.Error(), "Resource not accessible by integration") {
				t.Fatalf("err = %v, want GitHub's 403", err)
			}
			if len(res.PRs) != 1 || res.PRs[0].Status != StatusFailed {
				t.Fatalf("PRs %+v", res.PRs)
			}
			if _, ok := f.srv.PullRequest(1); ok {
				t.Error("a PR was opened")
			}
		})
	}
}

// TestForkPersonalToken: a personal token, the way the update bot works,
// writes to the fork and opens the PR upstream with one client.
func TestForkPersonalToken(t *testing.T) {
	f := newFixture(t, forkApp(t))
	res, err := f.publisherWith(FromGitHub(f.srv.TokenClient("ghp_personal"))).Publish(bg, helloChange())
	if err != nil || len(res.PRs) != 1 || res.PRs[0].Status != StatusOpened {
		t.Fatalf("%+v, %v", res.PRs, err)
	}
	if pr, ok := f.srv.PullRequest(1); !ok || pr.HeadOwner != "markbot-bot" {
		t.Fatalf("PR %+v", pr)
	}
}

// executableSeed copies testdata/nixpkgs with hello's and fzf's files
// executable (mode 100755 in the seeded tree).
func executableSeed(t *testing.T) func(*githubtest.Options) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/nixpkgs")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"pkgs/by-name/he/hello/package.nix", "pkgs/by-name/fz/fzf/package.nix"} {
		if err := os.Chmod(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return func(o *githubtest.Options) { o.SeedDir = dir }
}

func lsMode(t *testing.T, dir, rev, path string) string {
	t.Helper()
	mode, _, _ := strings.Cut(git(t, dir, "ls-tree", rev, "--", path), " ")
	return mode
}

// TestEditKeepsFileMode: an executable file markbot edits stays
// executable, in the marking PR's commit and in the drop's rewrite; a
// regular one stays regular. (Written with mode 100644, as before, the
// executable files would lose their bit.)
func TestEditKeepsFileMode(t *testing.T) {
	f := newFixture(t, executableSeed(t))
	repo := f.srv.RepoPath()
	hello, fzf, netkit := "pkgs/by-name/he/hello/package.nix", "pkgs/by-name/fz/fzf/package.nix", "pkgs/tools/networking/netkit/default.nix"
	if m := lsMode(t, repo, "master", hello); m != "100755" {
		t.Fatalf("seeded mode %s", m)
	}
	changes := seedChanges()
	f.mustPublish([]Change{changes[0], changes[1], changes[4]}, nil) // hello and fzf (executable), netkit
	seen, prs := 0, 0
	for number := 1; ; number++ {
		if _, ok := f.srv.PullRequest(number); !ok {
			break
		}
		prs = number
		head := f.pr(number).HeadSHA
		for file, want := range map[string]string{hello: "100755", fzf: "100755", netkit: "100644"} {
			if !strings.Contains(git(t, repo, "diff", "--name-only", "master", head), file) {
				continue
			}
			seen++
			if m := lsMode(t, repo, head, file); m != want {
				t.Errorf("PR #%d: %s has mode %s, want %s", number, file, m, want)
			}
		}
	}
	if seen != 3 {
		t.Fatalf("%d of the 3 files changed in the PRs", seen)
	}
	both := 0 // the PR holding hello and fzf
	for number := 1; number <= prs; number++ {
		if strings.Contains(git(t, repo, "diff", "--name-only", "master", f.pr(number).HeadSHA), fzf) {
			both = number
		}
	}
	// Dropping fzf rewrites the branch: hello (still marked) and fzf (its
	// marker out, back to master's content) keep 100755.
	if res := f.mustDrop(both, Drop{Attr: "fzf", Reason: green}); res.BranchUpdate != BranchRewritten {
		t.Fatalf("drop %+v", res)
	}
	head := f.pr(both).HeadSHA
	for _, file := range []string{hello, fzf} {
		if m := lsMode(t, repo, head, file); m != "100755" {
			t.Errorf("after the drop %s has mode %s", file, m)
		}
	}
}

// TestRenamedFork: a fork renamed on GitHub (markbot-bot/nixpkgs-markbot)
// gets the branch, tree and commit under its own name, and the PR's head
// is "markbot-bot:branch". Before, the branch went to
// markbot-bot/<upstream's name>, which does not exist (404).
func TestRenamedFork(t *testing.T) {
	f := newFixture(t, func(o *githubtest.Options) { o.Forks = []string{"markbot-bot/nixpkgs-markbot"} })
	p, err := New(FromGitHub(f.srv.Client()), f.st, Options{Owner: f.srv.Owner(), Repo: f.srv.Repo(), Fork: "markbot-bot/nixpkgs-markbot",
		Now: f.now, Sleep: f.sleep, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Publish(bg, helloChange())
	if err != nil || len(res.PRs) != 1 || res.PRs[0].Status != StatusOpened {
		t.Fatalf("%+v, %v", res.PRs, err)
	}
	pr, ok := f.srv.PullRequest(1)
	if !ok || pr.HeadOwner != "markbot-bot" {
		t.Fatalf("PR %+v", pr)
	}
	dir, ok := f.srv.ForkPath("markbot-bot")
	if !ok || !strings.HasSuffix(dir, "nixpkgs-markbot.git") {
		t.Fatalf("fork at %q", dir)
	}
	if out := git(t, dir, "branch", "--list", "markbot/*"); !strings.Contains(out, res.PRs[0].Branch) {
		t.Errorf("the renamed fork has no branch %s: %q", res.PRs[0].Branch, out)
	}
	if _, err := New(FromGitHub(f.srv.Client()), f.st, Options{Owner: "NixOS", Repo: "nixpkgs", Fork: "a/b/c"}); err == nil {
		t.Error("fork a/b/c accepted")
	}
}
