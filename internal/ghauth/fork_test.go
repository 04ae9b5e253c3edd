package ghauth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
)

// forkServer: the App installed on NixOS (77) and on markbot-bot (88, only
// its fork), and a personal token reaching both.
func forkServer(t *testing.T, fork githubtest.Installation) (*githubtest.Server, *githubtest.App, string) {
	t.Helper()
	app, pemBytes, err := githubtest.TestApp()
	if err != nil {
		t.Fatal(err)
	}
	app.Installations = []githubtest.Installation{{ID: 77, Account: "NixOS"}, fork}
	app.PersonalTokens = []string{"ghp_personal"}
	gh := githubtest.New(t, githubtest.Options{App: app, Forks: []string{"markbot-bot"}, SeedFiles: map[string]string{"README.md": "hi\n"}})
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return gh, app, keyFile
}

var markbotBot = githubtest.Installation{ID: 88, Account: "markbot-bot", Repositories: []string{"markbot-bot/nixpkgs"}}

func appConfig(gh *githubtest.Server, app *githubtest.App, keyFile, extra string) string {
	return fmt.Sprintf("github:\n  api_url: %s\n  app_id: %d\n  installation_id: 77\n  private_key_file: %s\n  fork: markbot-bot\n%s",
		gh.URL(), app.ID, keyFile, extra)
}

func writeBranch(c *github.Client, gh *githubtest.Server, owner, name string) error {
	master, _ := gh.Ref("master")
	_, _, err := c.Git.CreateRef(context.Background(), owner, "nixpkgs", &github.Reference{
		Ref: github.String("refs/heads/" + name), Object: &github.GitObject{SHA: github.String(master)}})
	return err
}

// TestClientsFork: which client writes the fork's branches, for each way
// of authenticating, against a fake that scopes tokens per installation.
func TestClientsFork(t *testing.T) {
	gh, app, keyFile := forkServer(t, markbotBot)
	for _, tc := range []struct {
		name     string
		extra    string
		env      map[string]string
		wantFork bool
	}{
		{name: "two installations", extra: "  fork_installation_id: 88\n", wantFork: true},
		{name: "App upstream, a token for the fork", env: map[string]string{"MARKBOT_GITHUB_FORK_TOKEN": "ghp_personal"}, wantFork: true},
		{name: "a personal token for both", env: map[string]string{"MARKBOT_GITHUB_TOKEN": "ghp_personal"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			cfg := loadConfig(t, appConfig(gh, app, keyFile, tc.extra))
			up, fork, err := Clients(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if (fork != nil) != tc.wantFork {
				t.Fatalf("fork client %v, want one: %v", fork != nil, tc.wantFork)
			}
			head := up
			if fork != nil {
				head = fork
			}
			if err := writeBranch(head, gh, "markbot-bot", "markbot/"+strings.ReplaceAll(tc.name, " ", "-")); err != nil {
				t.Fatalf("writing the fork's branch: %v", err)
			}
			if _, _, err := up.Issues.AddLabelsToIssue(context.Background(), "NixOS", "nixpkgs", 1, []string{"x"}); err != nil &&
				strings.Contains(err.Error(), "Resource not accessible") {
				t.Fatalf("upstream client refused upstream: %v", err)
			}
			if fork != nil {
				// The upstream installation alone would have been refused.
				if err := writeBranch(up, gh, "markbot-bot", "markbot/refused"); err == nil || !strings.Contains(err.Error(), "403 Resource not accessible by integration") {
					t.Fatalf("upstream client writing to the fork: %v", err)
				}
			}
		})
	}
}

// TestClientsRefuseForkWithoutCredentials: markbot serve sets the personal
// token aside and acts as the App; with a fork and no fork credentials it
// is refused before any request.
func TestClientsRefuseForkWithoutCredentials(t *testing.T) {
	gh, app, keyFile := forkServer(t, markbotBot)
	t.Setenv("MARKBOT_GITHUB_TOKEN", "ghp_personal")
	cfg := loadConfig(t, appConfig(gh, app, keyFile, ""))
	if _, _, err := Clients(cfg, nil); err != nil {
		t.Fatalf("with the personal token: %v", err)
	}
	cfg.GitHub.Token = "" // as markbot serve does
	gh.ResetStats()
	_, _, err := Clients(cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "github.fork: markbot acts as the GitHub App") {
		t.Fatalf("err = %v", err)
	}
	if n := gh.Requests(); n != 0 {
		t.Errorf("%d requests before refusing", n)
	}
}

// TestVerifyInstallations: at start-up, as the App, markbot checks that
// the configured ids are the App's installations on the repository and
// the fork, with the permissions it writes with.
func TestVerifyInstallations(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fork  githubtest.Installation
		extra string
		want  []string // none: accepted
	}{
		{name: "right ids", fork: markbotBot, extra: "  fork_installation_id: 88\n"},
		{name: "wrong fork id", fork: markbotBot, extra: "  fork_installation_id: 99\n",
			want: []string{"github.fork_installation_id is 99, but the App's installation on markbot-bot/nixpkgs is 88", "set 88"}},
		{name: "not installed on the fork", fork: githubtest.Installation{ID: 88, Account: "someone-else"}, extra: "  fork_installation_id: 88\n",
			want: []string{"github.fork_installation_id: the App (github.app_id 4242) is not installed on markbot-bot/nixpkgs", "404"}},
		{name: "fork installation cannot write contents", extra: "  fork_installation_id: 88\n",
			fork: githubtest.Installation{ID: 88, Account: "markbot-bot", Permissions: map[string]string{"contents": "read", "metadata": "read"}},
			want: []string{`github.fork_installation_id: installation 88 on markbot-bot/nixpkgs has contents permission "read"`}},
		{name: "fork token: only upstream checked", fork: markbotBot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gh, app, keyFile := forkServer(t, tc.fork)
			if tc.extra == "" {
				t.Setenv("MARKBOT_GITHUB_FORK_TOKEN", "ghp_personal")
			}
			cfg := loadConfig(t, appConfig(gh, app, keyFile, tc.extra))
			err := VerifyInstallations(context.Background(), cfg)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want %q", err, w)
				}
			}
		})
	}
	// A personal token: nothing to check, no request.
	gh, app, keyFile := forkServer(t, markbotBot)
	t.Setenv("MARKBOT_GITHUB_TOKEN", "ghp_personal")
	cfg := loadConfig(t, appConfig(gh, app, keyFile, ""))
	gh.ResetStats()
	if err := VerifyInstallations(context.Background(), cfg); err != nil || gh.Requests() != 0 {
		t.Fatalf("personal token: %v, %d requests", err, gh.Requests())
	}
}
