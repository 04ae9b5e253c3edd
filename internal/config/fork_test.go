package config

import (
	"strings"
	"testing"
)

// TestForkCredentials: a fork under the App's credentials needs the fork's
// own installation or token; a configuration that cannot write the
// branches is refused at load time, naming the key and saying why.
func TestForkCredentials(t *testing.T) {
	t.Parallel()
	const app = "github:\n  app_id: 12\n  installation_id: 34\n  private_key_file: /run/keys/app.pem\n"
	for _, tc := range []struct {
		name string
		file string
		env  map[string]string
		want []string // substrings of the error; none: valid
	}{
		{name: "App, no fork", file: app},
		{name: "App and fork, no fork installation", file: app + "  fork: markbot-bot\n",
			want: []string{"github.fork: markbot acts as the GitHub App", "installation 34 on NixOS cannot write branches to markbot-bot/nixpkgs",
				`403 "Resource not accessible by integration"`, "github.fork_installation_id", "MARKBOT_GITHUB_FORK_TOKEN"}},
		{name: "App and fork OWNER/REPO", file: app + "  fork: markbot-bot/pkgs\n", want: []string{"markbot-bot/pkgs"}},
		{name: "App, fork and its installation", file: app + "  fork: markbot-bot\n  fork_installation_id: 56\n"},
		{name: "fork installation from the environment", file: app + "  fork: markbot-bot\n",
			env: map[string]string{"MARKBOT_GITHUB_FORK_INSTALLATION_ID": "56"}},
		{name: "App, fork and a fork token", file: app + "  fork: markbot-bot\n",
			env: map[string]string{"MARKBOT_GITHUB_FORK_TOKEN": "ghp_fork"}},
		{name: "a personal token reaches both", file: app + "  fork: markbot-bot\n",
			env: map[string]string{"MARKBOT_GITHUB_TOKEN": "ghp_personal"}},
		{name: "token only, fork", file: "github:\n  fork: markbot-bot\n", env: map[string]string{"MARKBOT_GITHUB_TOKEN": "ghp_personal"}},
		{name: "fork installation without fork", file: app + "  fork_installation_id: 56\n",
			want: []string{"github.fork_installation_id: is set without github.fork"}},
		{name: "fork token without fork", file: app, env: map[string]string{"MARKBOT_GITHUB_FORK_TOKEN": "ghp_fork"},
			want: []string{"github.fork_token: MARKBOT_GITHUB_FORK_TOKEN is set without github.fork"}},
		{name: "both fork credentials", file: app + "  fork: markbot-bot\n  fork_installation_id: 56\n",
			env: map[string]string{"MARKBOT_GITHUB_FORK_TOKEN": "ghp_fork"}, want: []string{"are both set"}},
		{name: "fork installation without the App", file: "github:\n  fork: markbot-bot\n  fork_installation_id: 56\n",
			env: map[string]string{"MARKBOT_GITHUB_TOKEN": "ghp_personal"}, want: []string{"github.fork_installation_id: needs the App"}},
		{name: "fork installation is the upstream one", file: app + "  fork: markbot-bot\n  fork_installation_id: 34\n",
			want: []string{"github.fork_installation_id: is github.installation_id (34)", "markbot-bot is not NixOS"}},
		{name: "negative fork installation", file: app + "  fork: markbot-bot\n  fork_installation_id: -1\n",
			want: []string{"github.fork_installation_id: must not be negative"}},
		{name: "fork token with white space", file: "github:\n  fork: markbot-bot\n",
			env: map[string]string{"MARKBOT_GITHUB_FORK_TOKEN": "ghp a"}, want: []string{"github.fork_token: contains white space"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			c, err := parse("m.yaml", []byte("version: 1\n"+tc.file), lookup, "")
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(c.String(), "ghp_") {
					t.Error("a token is printed")
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "ghp_") {
				t.Error("the error shows a token")
			}
		})
	}
}

// TestForkCredentialsWithoutToken: markbot serve sets the personal token
// aside (it always acts as the App); the same configuration then cannot
// write to the fork, and ForkCredentialsError says so.
func TestForkCredentialsWithoutToken(t *testing.T) {
	t.Parallel()
	lookup := func(k string) (string, bool) {
		return map[string]string{"MARKBOT_GITHUB_TOKEN": "ghp_personal"}[k], k == "MARKBOT_GITHUB_TOKEN"
	}
	c, err := parse("m.yaml", []byte("version: 1\ngithub:\n  app_id: 1\n  installation_id: 2\n  private_key_file: k.pem\n  fork: markbot-bot\n"), lookup, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.GitHub.ForkCredentialsError(); err != nil {
		t.Fatalf("with the personal token: %v", err)
	}
	c.GitHub.Token = ""
	if err := c.GitHub.ForkCredentialsError(); err == nil || !strings.Contains(err.Error(), "github.fork: markbot acts as the GitHub App") {
		t.Fatalf("as the App: %v", err)
	}
}
