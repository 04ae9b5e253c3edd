package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
)

// TestForkCredentialsAtStartUp: a fork under the App's credentials without
// the fork's own installation (or token) is refused before markbot does
// anything, by run (config) and by serve (which sets a personal token
// aside); an installation id that is not the App's on the fork is refused
// by asking GitHub, as the App, at start-up.
func TestForkCredentialsAtStartUp(t *testing.T) {
	app, pemBytes, err := githubtest.TestApp()
	if err != nil {
		t.Fatal(err)
	}
	app.Installations = []githubtest.Installation{{ID: 77, Account: "NixOS"},
		{ID: 88, Account: "markbot-bot", Repositories: []string{"markbot-bot/nixpkgs"}}}
	gh := githubtest.New(t, githubtest.Options{App: app, Forks: []string{"markbot-bot"}})
	dir := t.TempDir()
	key := writeFile(t, dir, "app.pem", string(pemBytes))
	secret := writeFile(t, dir, "secret", "s3cret\n")
	cfg := func(extra string) string {
		return writeFile(t, t.TempDir(), "markbot.yaml", fmt.Sprintf(`version: 1
hydra:
  url: http://127.0.0.1:1/
state:
  path: %s
github:
  api_url: %s
  app_id: %d
  installation_id: 77
  private_key_file: %s
  webhook_secret_file: %s
  fork: markbot-bot
%s`, filepath.Join(t.TempDir(), "markbot.db"), gh.URL(), app.ID, key, secret, extra))
	}
	for _, tc := range []struct {
		name  string
		args  []string
		token string
		want  string
	}{
		{name: "run, no fork installation", args: []string{"run", "--config", cfg("")},
			want: "github.fork: markbot acts as the GitHub App, whose installation 77 on NixOS cannot write branches to markbot-bot/nixpkgs"},
		{name: "serve sets the personal token aside", args: []string{"serve", "--config", cfg("")}, token: "ghp_personal",
			want: "github.fork: markbot acts as the GitHub App"},
		{name: "run, wrong fork installation", args: []string{"run", "--config", cfg("  fork_installation_id: 99\n")},
			want: "github.fork_installation_id is 99, but the App's installation on markbot-bot/nixpkgs is 88"},
		{name: "serve, wrong fork installation", args: []string{"serve", "--config", cfg("  fork_installation_id: 99\n")},
			want: "github.fork_installation_id is 99, but the App's installation on markbot-bot/nixpkgs is 88"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("MARKBOT_GITHUB_TOKEN", tc.token)
			gh.ResetStats()
			var out, errb bytes.Buffer
			if code := realMain(tc.args, &out, &errb); code != exitError {
				t.Fatalf("exit %d, want %d\n%s", code, exitError, errb.String())
			}
			if !strings.Contains(errb.String(), tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, errb.String())
			}
			for _, c := range gh.Mutations() {
				t.Errorf("wrote before refusing: %+v", c)
			}
		})
	}
}
