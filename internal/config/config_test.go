package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/testutil"
)

func configDir(t *testing.T) string {
	return filepath.Join(testutil.RepoRoot(t), "config")
}

func readExample(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(configDir(t), "markbot.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// plain drops where values came from, for comparing values only.
func plain(c *Config) Config {
	p := *c
	p.source, p.pos, p.env = "", nil, nil
	return p
}

// TestConfigFiles parses every file in config/ (without the environment).
func TestConfigFiles(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(configDir(t))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") && !strings.HasSuffix(e.Name(), ".yml") {
			continue
		}
		n++
		path := filepath.Join(configDir(t), e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parse(path, data, nil, filepath.Dir(path)); err != nil {
			t.Errorf("%s:\n%v", e.Name(), err)
		}
	}
	if n == 0 {
		t.Fatal("no yaml files in config/")
	}
}

// TestExampleDocumentsEveryKey: the example holds every key, each with a
// comment, and its values are exactly the defaults.
func TestExampleDocumentsEveryKey(t *testing.T) {
	t.Parallel()
	data := readExample(t)
	c, err := Parse("markbot.example.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := plain(c), plain(Default()); !reflect.DeepEqual(got, want) {
		t.Errorf("example differs from Default():\nexample:\n%s\ndefault:\n%s", c, Default())
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(n *yaml.Node, path string, t reflect.Type)
	walk = func(n *yaml.Node, path string, typ reflect.Type) {
		names, index := yamlFields(typ)
		found := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			full := joinKey(path, k.Value)
			found[k.Value] = true
			if k.HeadComment == "" && k.LineComment == "" && v.LineComment == "" {
				t.Errorf("example: %s has no comment", full)
			}
			fi, ok := index[k.Value]
			if !ok {
				continue
			}
			switch ft := typ.Field(fi).Type; {
			case ft.Kind() == reflect.Struct:
				walk(v, full, ft)
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				// A list of mappings: its comment documents every key of
				// an entry (the example's list may be empty), and any
				// entry given is walked like a section.
				comment := k.HeadComment + k.LineComment + v.LineComment
				ek, _ := yamlFields(ft.Elem())
				for _, name := range ek {
					if !strings.Contains(comment, name) {
						t.Errorf("example: the comment of %s does not document %s", full, name)
					}
				}
				for j, item := range v.Content {
					walk(item, fmt.Sprintf("%s[%d]", full, j), ft.Elem())
				}
			}
		}
		for _, name := range names {
			if !found[name] {
				t.Errorf("example: %s is missing", joinKey(path, name))
			}
		}
	}
	walk(doc.Content[0], "", reflect.TypeFor[Config]())
}

func TestStringRoundTrip(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Probe.HydraJobset = "nixpkgs/unstable-probe"
	c.Probe.Every = 36 * time.Hour
	c.Probe.BuildCommand = []string{"nix-build", "--no-out-link", "-A", "{attr}", "--argstr", "system", "{system}", ""}
	c.Probe.BuildDir = "/srv/nixpkgs"
	c.Probe.BuildEnv = []string{"NIXPKGS_ALLOW_BROKEN=1", "EMPTY="}
	c.Probe.BuildTimeout = 90 * time.Minute
	c.Probe.BuildSystems = []string{"aarch64-linux", "x86_64-linux"}
	c.Probe.LogDir = "relative/logs"
	c.Compare = []CompareConfig{
		{Base: "nixpkgs/unstable", Head: "nixpkgs/staging-next", PostTo: "NixOS/nixpkgs#123456"},
		{Base: "nixpkgs/unstable", Head: "nixpkgs/python-updates", PostTo: "NixOS/nixpkgs#7"},
	}
	c.Hydra.Contact = "ops@example.org"
	c.Hydra.RequestsPerSecond = 0.5
	c.Hydra.Evaluations = 8
	c.GitHub.AppID, c.GitHub.InstallationID, c.GitHub.PrivateKeyFile = 12, 34, "/run/keys/app.pem"
	c.GitHub.Labels = []string{"true", "null", "1.5", "~", " x", "a: b"}
	c.GitHub.Fork, c.GitHub.ForkInstallationID = "markbot-fork", 56
	c.Policy.Statuses = []hydra.Status{1, 6, 10, 11}
	c.Policy.Allow = []string{"python3Packages.*"}
	c.Policy.Deny = []string{"linuxPackages*", "*.[ab]"}
	c.Policy.SkipAfterClose = 90 * time.Minute
	c.Policy.MassBreakageShare = 0.5
	c.Server.MaxBodyBytes = 12345
	c.Server.CycleInterval = 36 * time.Hour
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Config{Default(), c} {
		back, err := Parse("string", []byte(c.String()))
		if err != nil {
			t.Fatalf("%v\n%s", err, c)
		}
		if !reflect.DeepEqual(plain(back), plain(c)) {
			t.Errorf("round trip differs:\n%s\nback:\n%s", c, back)
		}
	}
}

func TestUnknownKeys(t *testing.T) {
	t.Parallel()
	tests := []struct{ yaml, want string }{
		{"version: 1\nhydra:\n  urll: x\n", `markbot.yaml:3:3: unknown key "hydra.urll" (did you mean "hydra.url"?)`},
		{"version: 1\npolicy:\n  evaluations: 3\n  max_reviewer: 3\n", `markbot.yaml:4:3: unknown key "policy.max_reviewer" (did you mean "policy.max_reviewers"?)`},
		{"version: 1\nhydar: {}\n", `markbot.yaml:2:1: unknown key "hydar" (did you mean "hydra"?)`},
		{"version: 1\nfrobnicate: 1\n", `markbot.yaml:2:1: unknown key "frobnicate"`},
		{"version: 1\ngithub:\n  token: ghp_abc\n", `markbot.yaml:3:3: unknown key "github.token" (secrets are never inline: set MARKBOT_GITHUB_TOKEN)`},
		{"version: 1\ngithub:\n  private_key: x\n", `unknown key "github.private_key" (secrets are never inline: use github.private_key_file`},
		{"version: 1\ngithub:\n  webhook_secret: x\n", `unknown key "github.webhook_secret" (secrets are never inline`},
		// Keys an earlier markbot read say where they went.
		{"version: 1\nhydra:\n  probe_jobset: nixpkgs/probe\n", `markbot.yaml:3:3: unknown key "hydra.probe_jobset" (moved to probe.hydra_jobset)`},
		{"version: 1\npolicy:\n  evaluations: 3\n  probe_every: 7d\n", `markbot.yaml:4:3: unknown key "policy.probe_every" (moved to probe.every)`},
		{"version: 1\nprobe:\n  evry: 7d\n", `markbot.yaml:3:3: unknown key "probe.evry" (did you mean "probe.every"?)`},
		{"version: 1\ncompare:\n  - base: nixpkgs/unstable\n    haed: nixpkgs/staging-next\n", `markbot.yaml:4:5: unknown key "compare[0].haed" (did you mean "compare[0].head"?)`},
	}
	for _, tt := range tests {
		_, err := Parse("markbot.yaml", []byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want %s", tt.yaml, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "ghp_abc") {
			t.Errorf("%q: error shows the inline token: %v", tt.yaml, err)
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	tests := []struct{ yaml, want string }{
		{"", `markbot.yaml: version: missing; the file must start with version: 1`},
		{"# only a comment\n", `version: missing`},
		{"hydra: {}\n", `markbot.yaml: version: missing`},
		{"version: 2\nhydra: {urll: x}\n", `markbot.yaml:1:10: version: unsupported version "2"; this markbot reads version 1`},
		{"version: \"1\"\n", `version: unsupported version "1"`},
		{"version: 1.0\n", `version: unsupported version "1.0"`},
		{"version: [1]\n", `version: unsupported version`},
		{"- version: 1\n", `markbot.yaml:1:1: want a mapping of sections`},
		{"version: 1\n---\nversion: 1\n", `a second YAML document`},
		{"version: 1\nhydra: [\n", `markbot.yaml: yaml:`},
	}
	for _, tt := range tests {
		_, err := Parse("markbot.yaml", []byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want %s", tt.yaml, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "unknown key") {
			t.Errorf("%q: an unreadable version should stop before keys are checked: %v", tt.yaml, err)
		}
	}
	if c, err := Parse("markbot.yaml", []byte("version: 1\n")); err != nil || !reflect.DeepEqual(plain(c), plain(Default())) {
		t.Errorf("version only: %v, %v", c, err)
	}
}

// TestInvalidValues: each bad value gives an error naming its key, the
// position of the value and the value itself.
func TestInvalidValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		section, body string
		key, want     string
	}{
		{"policy", "evaluations: 0", "policy.evaluations", "markbot.yaml:3:16: policy.evaluations: must be at least 1, got 0"},
		{"github", "repository: nixpkgs", "github.repository", `markbot.yaml:3:15: github.repository: want OWNER/REPO, got "nixpkgs"`},
		{"github", "repository: a/b/c", "github.repository", `want OWNER/REPO, got "a/b/c"`},
		{"policy", "statuses: [1, 2]", "policy.statuses[1]", "markbot.yaml:3:17: policy.statuses[1]: status 2 (dependency failed) cannot count: a dependency failure is never evidence"},
		{"policy", "statuses: [3]", "policy.statuses[0]", "status 3 (aborted) cannot count: an aborted build is transient"},
		{"policy", "statuses: [4]", "policy.statuses[0]", "transient"},
		{"policy", "statuses: [7]", "policy.statuses[0]", "a timeout is transient"},
		{"policy", "statuses: [9]", "policy.statuses[0]", "unsupported system is not a failure"},
		{"policy", "statuses: [12]", "policy.statuses[0]", "non-determinism is not a build failure"},
		{"policy", "statuses: [0]", "policy.statuses[0]", "it is a success"},
		{"policy", "statuses: [99]", "policy.statuses[0]", "unknown status 99; allowed: 1 (failed), 6"},
		{"policy", "statuses: [100000]", "policy.statuses[0]", "100000 is out of range"},
		{"policy", "statuses: [1, 1]", "policy.statuses[1]", "status 1 is listed twice"},
		{"policy", "statuses: []", "policy.statuses", "must list at least one of"},
		{"policy", "statuses: 1", "policy.statuses", "want a list, got \"1\""},
		{"policy", "systems: [x86_64-linx]", "policy.systems[0]", `unknown system "x86_64-linx"; known: x86_64-linux`},
		{"policy", "systems: []", "policy.systems", "must list at least one system"},
		{"policy", "mass_breakage_share: 0", "policy.mass_breakage_share", "must be between 0 and 1 (exclusive), got 0"},
		{"policy", "mass_breakage_share: 1", "policy.mass_breakage_share", "got 1"},
		{"policy", "mass_breakage_share: .nan", "policy.mass_breakage_share", `want a finite number, got ".nan"`},
		{"policy", "mass_breakage_share: lots", "policy.mass_breakage_share", `want a number, got "lots"`},
		{"policy", `deny: ["python3Packages.["]`, "policy.deny[0]", `bad glob "python3Packages.[": syntax error in pattern`},
		{"policy", `allow: ["ok", ""]`, "policy.allow[1]", `empty glob`},
		{"policy", "min_days: -1", "policy.min_days", "must not be negative, got -1"},
		{"policy", "min_derivations: 0", "policy.min_derivations", "must be at least 1, got 0"},
		{"policy", "max_markers_per_pr: 0", "policy.max_markers_per_pr", "must be at least 1, got 0"},
		{"policy", "max_open_prs: 0", "policy.max_open_prs", "must be at least 1, got 0"},
		{"policy", "max_reviewers: 16", "policy.max_reviewers", "must be between 1 and 15 (nixpkgs CI's cap), got 16"},
		{"policy", "ping: everyone", "policy.ping", `want "maintainers" or "none", got "everyone"`},
		{"policy", "ping_secondary_platforms: yes", "policy.ping_secondary_platforms", `want true or false, got "yes"`},
		{"policy", "skip_after_close: -1d", "policy.skip_after_close", "must not be negative, got -1d"},
		{"policy", "evaluations: three", "policy.evaluations", `want an integer, got "three"`},
		{"policy", "evaluations: 2.5", "policy.evaluations", `want an integer, got "2.5"`},
		{"policy", "evaluations: [3]", "policy.evaluations", "want an integer, got a list"},
		{"hydra", "url: ftp://hydra.nixos.org", "hydra.url", `want an http(s) URL without query, like https://host/path, got "ftp://hydra.nixos.org"`},
		{"hydra", "url: https://u:p@hydra.nixos.org", "hydra.url", `must not carry credentials`},
		{"hydra", "jobset: unstable", "hydra.jobset", `want PROJECT/JOBSET like nixpkgs/unstable, got "unstable"`},
		{"hydra", "contact: a (b)", "hydra.contact", "must not contain parentheses"},
		{"hydra", "contact: \"a\\nb\"", "hydra.contact", "must be printable ASCII"},
		{"hydra", "requests_per_second: 3", "hydra.requests_per_second", "must be more than 0 and at most 2 (hydra.nixos.org allows about 2/s), got 3"},
		{"hydra", "requests_per_second: 0", "hydra.requests_per_second", "got 0"},
		{"hydra", "evaluations: 2", "hydra.evaluations", "must be at least policy.evaluations (3), got 2"},
		{"github", "app_id: -1", "github.app_id", "must not be negative, got -1"},
		{"github", "app_id: 5", "github.installation_id", "required with github.app_id and github.private_key_file"},
		{"github", "api_url: https://ghe.example/api/v3", "github.api_url", `must end with "/"`},
		{"github", "base_branch: a..b", "github.base_branch", `want a valid git branch name, got "a..b"`},
		{"github", "base_branch: ''", "github.base_branch", `want a valid git branch name, got ""`},
		{"github", "branch_prefix: ''", "github.branch_prefix", "must not be empty"},
		{"github", "branch_prefix: 'mark bot/'", "github.branch_prefix", `want a valid git branch name, got "mark bot/"`},
		{"github", "fork: NixOS", "github.fork", `is github.repository itself`},
		{"github", "fork: -bad", "github.fork", `want OWNER or OWNER/REPO, got "-bad"`},
		{"github", `labels: ["a", "A"]`, "github.labels[1]", `"A" is listed twice`},
		{"github", `labels: ["", "x"]`, "github.labels[0]", `must not be empty`},
		{"github", `labels: ["` + strings.Repeat("x", 51) + `"]`, "github.labels[0]", `at most 50 characters`},
		{"github", `labels: [~]`, "github.labels[0]", `empty list item`},
		{"github", `labels: [[a]]`, "github.labels[0]", `want a string, got a list`},
		{"github", "bot_login: 'markbot bot'", "github.bot_login", `want a GitHub login like markbot[bot]`},
		{"packages", "source: ftp://example.org/packages.json", "packages.source", `want an http(s) URL`},
		{"packages", "source: ''", "packages.source", `must not be empty`},
		{"packages", "refresh: 6 hours", "packages.refresh", `want a duration like 90m, 6h or 14d, got "6 hours"`},
		{"packages", "refresh: 3600", "packages.refresh", `want a duration like 90m, 6h or 14d, got "3600"`},
		{"packages", "refresh: 10s", "packages.refresh", `must be at least 1m, got 10s`},
		{"state", "path: ''", "state.path", `must not be empty`},
		{"server", "listen: 8080", "server.listen", `want HOST:PORT like 127.0.0.1:8080 or :8080, got "8080"`},
		{"server", "listen: ':99999'", "server.listen", `got ":99999"`},
		{"server", "cycle_interval: 1m", "server.cycle_interval", `must be at least 5m, got 1m`},
		{"server", "max_body_bytes: 0", "server.max_body_bytes", `must be between 1KiB and 1GiB, got 0`},
		{"server", "max_body_bytes: 2GiB", "server.max_body_bytes", `got 2GiB`},
		{"server", "max_body_bytes: lots", "server.max_body_bytes", `want a size in bytes like 26214400 or 25MiB, got "lots"`},
		{"probe", "hydra_jobset: nixpkgs/unstable", "probe.hydra_jobset", `markbot.yaml:3:17: probe.hydra_jobset: must differ from hydra.jobset, got "nixpkgs/unstable" for both`},
		{"probe", "hydra_jobset: /x", "probe.hydra_jobset", `markbot.yaml:3:17: probe.hydra_jobset: want PROJECT/JOBSET like nixpkgs/unstable, got "/x"`},
		{"probe", "every: 10m", "probe.every", "markbot.yaml:3:10: probe.every: must be at least 1h, got 10m"},
		{"probe", "every: soon", "probe.every", `markbot.yaml:3:10: probe.every: want a duration like 90m, 6h or 14d, got "soon"`},
		{"probe", "build_command: nix-build", "probe.build_command", `markbot.yaml:3:18: probe.build_command: want a list, got "nix-build"`},
		{"probe", `build_command: ["", "{attr}"]`, "probe.build_command[0]", `markbot.yaml:3:19: probe.build_command[0]: the program must not be empty`},
		{"probe", `build_command: ["{system}-build", "{attr}"]`, "probe.build_command[0]", `markbot.yaml:3:19: probe.build_command[0]: the program must not contain a placeholder, got "{system}-build"`},
		{"probe", `build_command: ["nix-build", "-A", "hello"]`, "probe.build_command", `markbot.yaml:3:18: probe.build_command: must contain {attr} in some element (the package to build), got "nix-build -A hello"`},
		{"probe", `build_command: ["nix-build", "-A", "{attr}", "{foo}"]`, "probe.build_command[3]", `markbot.yaml:3:48: probe.build_command[3]: unknown placeholder {foo} in "{foo}"; known: {attr}, {system}`},
		{"probe", `build_command: ["nix-build", "-A", "{attr}.{Attr}"]`, "probe.build_command[2]", `probe.build_command[2]: unknown placeholder {Attr}`},
		{"probe", `build_command: ["sh", "-c", "${HOME}/b {attr}"]`, "probe.build_command[2]", `unknown placeholder {HOME}`},
		{"probe", `build_command: ["nix-build", "-A", "{attr}"]`, "probe.build_dir", `markbot.yaml:3:18: probe.build_dir: required with probe.build_command`},
		{"probe", `build_command: ["nix-build", "-A", "{attr}"]` + "\n  build_dir: ' '", "probe.build_dir", `probe.build_dir: required with probe.build_command`},
		{"probe", `build_dir: "a\nb"`, "probe.build_dir", `markbot.yaml:3:14: probe.build_dir: want a path, got "a\nb"`},
		{"probe", `build_env: ["NIXPKGS_ALLOW_BROKEN"]`, "probe.build_env[0]", `markbot.yaml:3:15: probe.build_env[0]: want NAME=value, got "NIXPKGS_ALLOW_BROKEN"`},
		{"probe", `build_env: ["1X=1"]`, "probe.build_env[0]", `probe.build_env[0]: want NAME=value with NAME like NIXPKGS_ALLOW_BROKEN (letters, digits, _), got "1X=1"`},
		{"probe", `build_env: ["=1"]`, "probe.build_env[0]", `want NAME=value with NAME`},
		{"probe", `build_env: ["A B=1"]`, "probe.build_env[0]", `want NAME=value with NAME`},
		{"probe", `build_env: ["A=1", "A=2"]`, "probe.build_env[1]", `markbot.yaml:3:22: probe.build_env[1]: A is set twice (also probe.build_env[0])`},
		{"hydra", "idle_timeout: 100ms", "hydra.idle_timeout", `markbot.yaml:3:17: hydra.idle_timeout: must be between 1s and 1h, got 100ms`},
		{"github", "timeout: 1d", "github.timeout", `markbot.yaml:3:12: github.timeout: must be between 1s and 10m, got 1d`},
		{"probe", "build_timeout: 30s", "probe.build_timeout", `markbot.yaml:3:18: probe.build_timeout: must be at least 1m, got 30s`},
		{"probe", "build_systems: [x86_64-linx]", "probe.build_systems[0]", `markbot.yaml:3:19: probe.build_systems[0]: unknown system "x86_64-linx"; known: x86_64-linux`},
		{"probe", "build_systems: [x86_64-linux, x86_64-linux]", "probe.build_systems[1]", `probe.build_systems[1]: "x86_64-linux" is listed twice`},
		{"probe", `log_dir: "a\rb"`, "probe.log_dir", `markbot.yaml:3:12: probe.log_dir: want a path`},
		{"compare", "base: nixpkgs/unstable", "compare", `markbot.yaml:3:3: compare: want a list, got a mapping`},
		{"compare", "- nixpkgs/unstable", "compare[0]", `markbot.yaml:3:5: compare[0]: want a mapping of keys, got "nixpkgs/unstable"`},
		{"compare", "- ~", "compare[0]", `markbot.yaml:3:5: compare[0]: empty list item`},
		{"compare", "- {head: nixpkgs/staging-next, post_to: NixOS/nixpkgs#1}", "compare[0].base", `markbot.yaml:3:5: compare[0].base: required: PROJECT/JOBSET like nixpkgs/unstable`},
		{"compare", "- {base: nixpkgs/unstable, post_to: NixOS/nixpkgs#1}", "compare[0].head", `markbot.yaml:3:5: compare[0].head: required`},
		{"compare", "- {base: nixpkgs/unstable, head: nixpkgs/staging-next}", "compare[0].post_to", `markbot.yaml:3:5: compare[0].post_to: required: the pull request or issue the report goes on, OWNER/REPO#N`},
		{"compare", "- {base: unstable, head: nixpkgs/staging-next, post_to: NixOS/nixpkgs#1}", "compare[0].base", `markbot.yaml:3:12: compare[0].base: want PROJECT/JOBSET like nixpkgs/staging-next, got "unstable"`},
		{"compare", "- {base: nixpkgs/unstable, head: nixpkgs/staging--next, post_to: NixOS/nixpkgs#1}", "compare[0].head", `markbot.yaml:3:36: compare[0].head: want PROJECT/JOBSET`},
		{"compare", "- {base: nixpkgs/unstable, head: 0nixpkgs/staging, post_to: NixOS/nixpkgs#1}", "compare[0].head", `compare[0].head: want PROJECT/JOBSET like nixpkgs/unstable, got "0nixpkgs/staging"`},
		{"compare", "- {base: nixpkgs/unstable, head: nixpkgs/unstable, post_to: NixOS/nixpkgs#1}", "compare[0].head", `markbot.yaml:3:36: compare[0].head: must differ from compare[0].base, got "nixpkgs/unstable" for both`},
		{"compare", "- {base: nixpkgs/unstable, head: nixpkgs/staging-next, post_to: NixOS/nixpkgs}", "compare[0].post_to", `markbot.yaml:3:67: compare[0].post_to: want OWNER/REPO#N like NixOS/nixpkgs#123456, got "NixOS/nixpkgs"`},
		{"compare", "- {base: nixpkgs/unstable, head: nixpkgs/staging-next, post_to: 'NixOS/nixpkgs#0'}", "compare[0].post_to", `got "NixOS/nixpkgs#0"`},
		{"compare", "- {base: nixpkgs/unstable, head: nixpkgs/staging-next, post_to: 'Nix OS/nixpkgs#1'}", "compare[0].post_to", `got "Nix OS/nixpkgs#1"`},
		{"compare", "- {base: nixpkgs/unstable, head: nixpkgs/staging-next, post_to: 'a/b/c#1'}", "compare[0].post_to", `got "a/b/c#1"`},
		{"compare", "- {base: nixpkgs/unstable, head: nixpkgs/staging-next, post_to: 5}", "compare[0].post_to", `got "5"`},
		{"compare", "- {base: nixpkgs/unstable, head: [a], post_to: NixOS/nixpkgs#1}", "compare[0].head", `markbot.yaml:3:36: compare[0].head: want a string, got a list`},
		{"compare", "- {base: nixpkgs/unstable, head: nixpkgs/staging-next, post_to: 'NixOS/nixpkgs#1'}\n  - {base: nixpkgs/unstable, head: nixpkgs/staging-next, post_to: 'NixOS/nixpkgs#1'}", "compare[1]", `markbot.yaml:4:5: compare[1]: the same entry as compare[0]`},
		{"compare", "- {base: nixpkgs/unstable, head: nixpkgs/staging-next, post_to: 'NixOS/nixpkgs#1', base: x/y}", "compare[0].base", `compare[0].base: given twice (first at line 3)`},
		{"server", "nested: {a: 1}", "server.nested", `unknown key "server.nested"`},
		{"server", "listen: a\n  listen: b", "server.listen", `markbot.yaml:4:3: server.listen: given twice (first at line 3)`},
	}
	for _, tt := range tests {
		data := fmt.Sprintf("version: 1\n%s:\n  %s\n", tt.section, tt.body)
		_, err := Parse("markbot.yaml", []byte(data))
		if err == nil {
			t.Errorf("%s: no error", tt.body)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got\n%v\nwant %s", tt.body, err, tt.want)
		}
		var cerr *Error
		keys := []string{}
		for _, e := range unjoin(err) {
			if errors.As(e, &cerr) {
				keys = append(keys, cerr.Key)
			}
		}
		if !slices.Contains(keys, tt.key) {
			t.Errorf("%s: error keys %q, want %s", tt.body, keys, tt.key)
		}
	}
	// A section that is not a mapping.
	if _, err := Parse("markbot.yaml", []byte("version: 1\nhydra: https://hydra.nixos.org\n")); err == nil ||
		!strings.Contains(err.Error(), `markbot.yaml:2:8: hydra: want a mapping of keys, got "https://hydra.nixos.org"`) {
		t.Errorf("scalar section: %v", err)
	}
}

// TestAllErrors: every problem is reported, not only the first.
func TestAllErrors(t *testing.T) {
	t.Parallel()
	data := `version: 1
hydra:
  urll: x
  requests_per_second: 5
github:
  repository: nixpkgs
policy:
  evaluations: 0
  statuses: [2, 6, 12]
  systems: [x86_64-linux, mips-linux]
server:
  cycle_interval: soon
`
	_, err := Parse("markbot.yaml", []byte(data))
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		`markbot.yaml:3:3: unknown key "hydra.urll"`,
		`markbot.yaml:12:19: server.cycle_interval: want a duration`,
		`markbot.yaml:4:24: hydra.requests_per_second: must be more than 0 and at most 2`,
		`markbot.yaml:6:15: github.repository: want OWNER/REPO, got "nixpkgs"`,
		`markbot.yaml:8:16: policy.evaluations: must be at least 1, got 0`,
		`markbot.yaml:9:14: policy.statuses[0]: status 2`,
		`markbot.yaml:9:20: policy.statuses[2]: status 12`,
		`markbot.yaml:10:27: policy.systems[1]: unknown system "mips-linux"`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Errorf("got %d errors, want %d:\n%v", len(lines), len(want), err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %s in\n%v", w, err)
		}
	}
}

func TestDefaultsFillAbsentKeys(t *testing.T) {
	t.Parallel()
	c, err := Parse("m.yaml", []byte("version: 1\npolicy:\n  evaluations: 5\nhydra:\n  url:\nstate: ~\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Hydra.Evaluations != 5 {
		t.Errorf("hydra.evaluations = %d, want policy.evaluations (5)", c.Hydra.Evaluations)
	}
	if c.Hydra.URL != hydra.DefaultBaseURL || c.State.Path != DefaultStatePath || c.Policy.MinDays != 14 {
		t.Errorf("defaults not applied: %s", c)
	}
	if _, err := Parse("m.yaml", []byte("version: 1\npolicy:\n  evaluations: 5\nhydra:\n  evaluations: 4\n")); err == nil ||
		!strings.Contains(err.Error(), "m.yaml:5:16: hydra.evaluations: must be at least policy.evaluations (5), got 4") {
		t.Errorf("explicit hydra.evaluations below K: %v", err)
	}
	// An explicitly empty list is kept (no labels), not defaulted.
	c, err = Parse("m.yaml", []byte("version: 1\ngithub:\n  labels: []\n"))
	if err != nil || len(c.GitHub.Labels) != 0 {
		t.Errorf("labels: [] gave %v, %v", c, err)
	}
	// Anchors and aliases work like the values they name.
	_, err = Parse("m.yaml", []byte("version: 1\npolicy:\n  deny: *a\n  allow: &a [x]\n"))
	if err == nil {
		t.Error("alias before its anchor parsed")
	}
	_, err = Parse("m.yaml", []byte("version: 1\nhydra: &h {url: 1}\nserver: *h\n"))
	if err == nil || !strings.Contains(err.Error(), `m.yaml:2:12: unknown key "server.url"`) {
		t.Errorf("aliased mapping: %v", err)
	}
	c, err = Parse("m.yaml", []byte("version: 1\npolicy:\n  allow: &a [\"x.*\"]\n  deny: *a\n"))
	if err != nil || !slices.Equal(c.Policy.Deny, []string{"x.*"}) {
		t.Errorf("alias: %v, %v", c, err)
	}
	_, err = Parse("m.yaml", []byte("version: 1\npolicy:\n  allow: &a [\"x.[\"]\n  deny: *a\n"))
	if err == nil || !strings.Contains(err.Error(), "m.yaml:3:14: policy.deny[0]: bad glob") {
		t.Errorf("alias error position: %v", err)
	}
}

func TestEnvOverrides(t *testing.T) {
	t.Parallel()
	file := "version: 1\nhydra:\n  url: https://file.example\ngithub:\n  app_id: 1\n  installation_id: 2\n  private_key_file: key.pem\nstate:\n  path: db/markbot.db\n"
	env := map[string]string{
		"MARKBOT_GITHUB_APP_ID":              "100",
		"MARKBOT_GITHUB_INSTALLATION_ID":     "200",
		"MARKBOT_GITHUB_WEBHOOK_SECRET_FILE": "rel/secret",
		"MARKBOT_GITHUB_TOKEN":               " ghp_envtoken\n",
		"MARKBOT_HYDRA_URL":                  "https://env.example/",
		"MARKBOT_STATE_PATH":                 "", // empty: unset
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c, err := parse("/etc/markbot/markbot.yaml", []byte(file), lookup, "/etc/markbot")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"app id from env", c.GitHub.AppID, int64(100)},
		{"installation id from env", c.GitHub.InstallationID, int64(200)},
		{"key file from file, relative to it", c.GitHub.PrivateKeyFile, "/etc/markbot/key.pem"},
		{"secret file from env, as given", c.GitHub.WebhookSecretFile, "rel/secret"},
		{"token trimmed", c.GitHub.Token.Reveal(), "ghp_envtoken"},
		{"hydra url from env", c.Hydra.URL, "https://env.example/"},
		{"empty env var ignored", c.State.Path, "/etc/markbot/db/markbot.db"},
		{"default untouched", c.GitHub.Repository, DefaultRepository},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}

	// A bad value from the environment names the variable and the key.
	env = map[string]string{"MARKBOT_GITHUB_APP_ID": "twelve", "MARKBOT_HYDRA_URL": "hydra.nixos.org"}
	_, err = parse("m.yaml", []byte(file), lookup, "")
	for _, w := range []string{
		`MARKBOT_GITHUB_APP_ID: github.app_id: want an integer, got "twelve"`,
		`MARKBOT_HYDRA_URL: hydra.url: want an http(s) URL`,
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("got %v, want %s", err, w)
		}
	}
	if got := EnvVars(); len(got) != 9 || got[4] != "MARKBOT_GITHUB_TOKEN" || got[6] != "MARKBOT_GITHUB_FORK_TOKEN" {
		t.Errorf("EnvVars() = %q", got)
	}
	// Parse ignores the environment.
	if c, err := Parse("m.yaml", []byte(file)); err != nil || c.GitHub.AppID != 1 {
		t.Errorf("Parse: %v, %v", c, err)
	}
}

// TestLoad goes through the real environment, so it does not run in
// parallel.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "markbot.yaml")
	if err := os.WriteFile(path, []byte("version: 1\ngithub:\n  webhook_secret_file: secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range EnvVars() {
		t.Setenv(name, "")
	}
	t.Setenv("MARKBOT_STATE_PATH", "/tmp/x.db")
	t.Setenv("MARKBOT_GITHUB_TOKEN", "ghp_loadtoken")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.State.Path != "/tmp/x.db" || c.GitHub.WebhookSecretFile != filepath.Join(dir, "secret") ||
		c.GitHub.Token.Reveal() != "ghp_loadtoken" || c.Source() != path {
		t.Errorf("Load: %s", c)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

const (
	testToken  = "ghp_zq9tokenbytes1234567890"
	testKey    = "-----BEGIN RSA PRIVATE KEY-----\nMIIEzq9keybytes\n-----END RSA PRIVATE KEY-----\n"
	testSecret = "hook-zq9-value"
)

// TestSecretsNeverPrinted formats a config holding a token in every way a
// caller might, and checks secret bytes from files never reach errors.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.pem")
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(keyFile, []byte(testKey), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secretFile, []byte(testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"MARKBOT_GITHUB_TOKEN":               testToken,
		"MARKBOT_GITHUB_APP_ID":              "1",
		"MARKBOT_GITHUB_INSTALLATION_ID":     "2",
		"MARKBOT_GITHUB_PRIVATE_KEY_FILE":    keyFile,
		"MARKBOT_GITHUB_WEBHOOK_SECRET_FILE": secretFile,
	}
	c, err := parse("m.yaml", []byte("version: 1\n"), func(k string) (string, bool) { v, ok := env[k]; return v, ok }, "")
	if err != nil {
		t.Fatal(err)
	}
	key, err := c.ReadPrivateKey()
	if err != nil || string(key) != testKey {
		t.Fatalf("ReadPrivateKey: %q, %v", key, err)
	}
	secret, err := c.ReadWebhookSecret()
	if err != nil || string(secret) != testSecret {
		t.Fatalf("ReadWebhookSecret: %q, %v", secret, err)
	}
	jsonOut, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	yamlOut, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"String":      c.String(),
		"%v ptr":      fmt.Sprintf("%v", c),
		"%+v value":   fmt.Sprintf("%+v", *c),
		"%#v value":   fmt.Sprintf("%#v", *c),
		"%#v ptr":     fmt.Sprintf("%#v", c),
		"%+v github":  fmt.Sprintf("%+v", c.GitHub),
		"%q token":    fmt.Sprintf("%q", c.GitHub.Token),
		"%x token":    fmt.Sprintf("%x", c.GitHub.Token),
		"%#v github":  fmt.Sprintf("%#v", c.GitHub),
		"%v github":   fmt.Sprintf("%v", c.GitHub),
		"%d token":    fmt.Sprintf("%d", c.GitHub.Token),
		"json":        string(jsonOut),
		"yaml":        string(yamlOut),
		"RequireApp":  fmt.Sprint(c.RequireApp()),
		"RequireAuth": fmt.Sprint(c.RequireAuth()),
	}
	for name, out := range outputs {
		for _, s := range []string{testToken, "zq9", fmt.Sprintf("%x", testToken)} {
			if strings.Contains(out, s) {
				t.Errorf("%s shows a secret (%q):\n%s", name, s, out)
			}
		}
	}
	if !strings.Contains(outputs["String"], "github token: set") {
		t.Errorf("String() does not say the token is set:\n%s", outputs["String"])
	}

	// Errors about secret files name the path, never the content.
	if err := os.WriteFile(keyFile, []byte("not a key: zq9 stuff"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadPrivateKey(); err == nil || strings.Contains(err.Error(), "zq9") || !strings.Contains(err.Error(), keyFile) {
		t.Errorf("bad key file: %v", err)
	}
	// A key pasted where its path belongs is refused without echoing it.
	_, err = Parse("m.yaml", []byte("version: 1\ngithub:\n  private_key_file: |\n    "+strings.ReplaceAll(testKey, "\n", "\n    ")+"\n"))
	if err == nil || strings.Contains(err.Error(), "zq9") || !strings.Contains(err.Error(), "github.private_key_file: want a file path") {
		t.Errorf("inline key: %v", err)
	}
	// A token with white space is refused without echoing it.
	env = map[string]string{"MARKBOT_GITHUB_TOKEN": "ghp_zq9 with space"}
	_, err = parse("m.yaml", []byte("version: 1\n"), func(k string) (string, bool) { v, ok := env[k]; return v, ok }, "")
	if err == nil || strings.Contains(err.Error(), "zq9") || !strings.Contains(err.Error(), "MARKBOT_GITHUB_TOKEN: github.token: contains white space") {
		t.Errorf("token with space: %v", err)
	}
}

func TestReadSecretFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := Default()
	if _, err := c.ReadPrivateKey(); err == nil || !strings.Contains(err.Error(), "github.private_key_file: not set (set it in markbot.yaml or MARKBOT_GITHUB_PRIVATE_KEY_FILE)") {
		t.Errorf("unset key file: %v", err)
	}
	c.GitHub.PrivateKeyFile = filepath.Join(dir, "nope.pem")
	if _, err := c.ReadPrivateKey(); err == nil || !strings.Contains(err.Error(), c.GitHub.PrivateKeyFile) {
		t.Errorf("missing key file: %v", err)
	}
	c.GitHub.WebhookSecretFile = filepath.Join(dir, "empty")
	if err := os.WriteFile(c.GitHub.WebhookSecretFile, []byte("\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadWebhookSecret(); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty secret: %v", err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, maxSecretFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	c.GitHub.WebhookSecretFile = big
	if _, err := c.ReadWebhookSecret(); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big secret: %v", err)
	}
}

func TestRequire(t *testing.T) {
	t.Parallel()
	c := Default()
	err := c.RequireApp()
	for _, key := range []string{"github.app_id", "github.installation_id", "github.private_key_file", "github.webhook_secret_file"} {
		if err == nil || !strings.Contains(err.Error(), key+": required by markbot serve") {
			t.Errorf("RequireApp: %v lacks %s", err, key)
		}
	}
	if err := c.RequireAuth(); err == nil || !strings.Contains(err.Error(), "MARKBOT_GITHUB_TOKEN") {
		t.Errorf("RequireAuth: %v", err)
	}
	c.GitHub.Token = "t"
	if err := c.RequireAuth(); err != nil {
		t.Errorf("RequireAuth with token: %v", err)
	}
	c.GitHub.AppID, c.GitHub.InstallationID, c.GitHub.PrivateKeyFile, c.GitHub.WebhookSecretFile = 1, 2, "k", "s"
	if err := c.RequireApp(); err != nil {
		t.Errorf("RequireApp: %v", err)
	}
}

func TestMappings(t *testing.T) {
	t.Parallel()
	c, err := Parse("m.yaml", []byte(`version: 1
hydra:
  url: https://hydra.example/
  contact: ops@example.org
  requests_per_second: 2
  idle_timeout: 45s
  jobset: nixpkgs/trunk
probe:
  hydra_jobset: markbot/probe
github:
  repository: NixOS/nixpkgs
  fork: markbot-bot
policy:
  evaluations: 4
  min_days: 7
  min_derivations: 3
  statuses: [1, 6, 10]
  systems: [x86_64-linux]
  mass_breakage_share: 0.1
  allow: ["a.*"]
  deny: ["a.b"]
`))
	if err != nil {
		t.Fatal(err)
	}
	want := failures.Policy{
		Evaluations: 4, MinDays: 7, MinDerivations: 3,
		OwnFailure:        []hydra.Status{1, 6, 10},
		IncludeLogLimit:   true,
		MassBreakageShare: 0.1,
		Allow:             []string{"a.*"}, Deny: []string{"a.b"},
		Systems: []string{"x86_64-linux"},
	}
	p := c.FailuresPolicy()
	if !reflect.DeepEqual(p, want) {
		t.Errorf("FailuresPolicy:\n got %+v\nwant %+v", p, want)
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
	if p.Classify(hydra.StatusLogLimitExceeded) != failures.ClassOwnFailure || p.Classify(hydra.StatusOutputLimitExceeds) == failures.ClassOwnFailure {
		t.Error("statuses 10/11 not mapped")
	}
	o := c.HydraOptions()
	if o.BaseURL != "https://hydra.example/" || o.Rate != 2 || o.Burst != 1 || o.IdleTimeout != 45*time.Second ||
		!strings.HasPrefix(o.UserAgent, "markbot/") || !strings.HasSuffix(o.UserAgent, "; ops@example.org)") {
		t.Errorf("HydraOptions: %+v", o)
	}
	if _, err := hydra.New(o); err != nil {
		t.Errorf("hydra.New: %v", err)
	}
	if got := c.PackagesLoadOptions().UserAgent; got != o.UserAgent {
		t.Errorf("PackagesLoadOptions UA %q", got)
	}
	if pr, js := c.Hydra.JobsetParts(); pr != "nixpkgs" || js != "trunk" {
		t.Errorf("JobsetParts %q %q", pr, js)
	}
	if pr, js := c.Probe.ProbeJobsetParts(); pr != "markbot" || js != "probe" {
		t.Errorf("ProbeJobsetParts %q %q", pr, js)
	}
	if o, r := c.GitHub.HeadRepository(); o != "markbot-bot" || r != "nixpkgs" {
		t.Errorf("HeadRepository %q %q", o, r)
	}
	c.GitHub.Fork = "x/y"
	if o, r := c.GitHub.HeadRepository(); o != "x" || r != "y" {
		t.Errorf("HeadRepository %q %q", o, r)
	}
	if Default().UserAgent() != Default().HydraOptions().UserAgent || strings.Contains(Default().UserAgent(), ";") {
		t.Errorf("default UA %q", Default().UserAgent())
	}
	// The defaults are a valid failures policy.
	if err := Default().FailuresPolicy().Validate(); err != nil {
		t.Error(err)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "6h", want: 6 * time.Hour},
		{in: "90m", want: 90 * time.Minute},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "14d", want: 14 * 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "0d", want: 0},
		{in: "0", want: 0},
		{in: "-2d", want: -48 * time.Hour},
		{in: "d", bad: true},
		{in: ".5d", bad: true},
		{in: "5.d", bad: true},
		{in: "1e3d", bad: true},
		{in: "1h2d", bad: true},
		{in: "2d-1h", bad: true},
		{in: "2dd", bad: true},
		{in: "14 days", bad: true},
		{in: "", bad: true},
		{in: "3600", bad: true},
		{in: "999999999d", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseDuration(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
	for _, d := range []time.Duration{0, time.Nanosecond, 90 * time.Minute, 6 * time.Hour, 36 * time.Hour,
		30 * 24 * time.Hour, -24 * time.Hour, 25*time.Hour + time.Second} {
		back, err := ParseDuration(FormatDuration(d))
		if err != nil || back != d {
			t.Errorf("FormatDuration(%v) = %q reads back as %v, %v", d, FormatDuration(d), back, err)
		}
	}
	if got := FormatDuration(6 * time.Hour); got != "6h" {
		t.Errorf("FormatDuration(6h) = %q", got)
	}
}

func TestParseByteSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want ByteSize
		bad  bool
	}{
		{in: "26214400", want: 25 << 20},
		{in: "25MiB", want: 25 << 20},
		{in: "512 KiB", want: 512 << 10},
		{in: "1GiB", want: 1 << 30},
		{in: "100B", want: 100},
		{in: "25MB", bad: true},
		{in: "MiB", bad: true},
		{in: "+5", bad: true},
		{in: "1.5MiB", bad: true},
		{in: "99999999999GiB", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if tt.bad != (err != nil) || (!tt.bad && got != tt.want) {
			t.Errorf("ParseByteSize(%q) = %v, %v", tt.in, got, err)
		}
	}
	if s := ByteSize(25 << 20).String(); s != "25MiB" {
		t.Errorf("String() = %q", s)
	}
}

// TestProbePaths: probe.build_dir and probe.log_dir from the file are
// relative to it; ProbeLogDir defaults to probe-logs next to state.path.
func TestProbePaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml     string
		buildDir, logs string
	}{
		{"defaults", "version: 1\n", "", "/var/lib/markbot/probe-logs"},
		{"default log dir follows state.path", "version: 1\nstate:\n  path: db/markbot.db\n", "", "/etc/markbot/db/probe-logs"},
		{"relative", "version: 1\nprobe:\n  build_command: [nix-build, -A, '{attr}']\n  build_dir: nixpkgs\n  log_dir: logs\n",
			"/etc/markbot/nixpkgs", "/etc/markbot/logs"},
		{"absolute", "version: 1\nprobe:\n  build_command: [nix-build, -A, '{attr}']\n  build_dir: /srv/nixpkgs\n  log_dir: /var/log/markbot\n",
			"/srv/nixpkgs", "/var/log/markbot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parse("/etc/markbot/markbot.yaml", []byte(tt.yaml), nil, "/etc/markbot")
			if err != nil {
				t.Fatal(err)
			}
			if c.Probe.BuildDir != tt.buildDir || c.ProbeLogDir() != tt.logs {
				t.Errorf("build_dir %q, ProbeLogDir %q; want %q, %q", c.Probe.BuildDir, c.ProbeLogDir(), tt.buildDir, tt.logs)
			}
		})
	}
}

// TestProbeAndCompareValues: valid probe and compare sections decode to
// the values given.
func TestProbeAndCompareValues(t *testing.T) {
	t.Parallel()
	c, err := Parse("m.yaml", []byte(`version: 1
probe:
  hydra_jobset: nixpkgs/unstable-allow-broken
  every: 1d
  build_command: [nix-build, --no-out-link, -A, "{attr}", --argstr, system, "{system}"]
  build_dir: /srv/nixpkgs
  build_env: [NIXPKGS_ALLOW_BROKEN=1, "X=a=b", "EMPTY="]
  build_timeout: 1m
  build_systems: [aarch64-linux]
compare:
  - base: nixpkgs/unstable
    head: nixpkgs/staging-next
    post_to: NixOS/nixpkgs#123456
  - {base: nixpkgs/unstable, head: nixpkgs/staging-next, post_to: NixOS/nixpkgs#7}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := ProbeConfig{
		HydraJobset:  "nixpkgs/unstable-allow-broken",
		Every:        24 * time.Hour,
		BuildCommand: []string{"nix-build", "--no-out-link", "-A", "{attr}", "--argstr", "system", "{system}"},
		BuildDir:     "/srv/nixpkgs",
		BuildEnv:     []string{"NIXPKGS_ALLOW_BROKEN=1", "X=a=b", "EMPTY="},
		BuildTimeout: time.Minute,
		BuildSystems: []string{"aarch64-linux"},
	}
	if !reflect.DeepEqual(c.Probe, want) {
		t.Errorf("probe:\n got %+v\nwant %+v", c.Probe, want)
	}
	wantCompare := []CompareConfig{
		{Base: "nixpkgs/unstable", Head: "nixpkgs/staging-next", PostTo: "NixOS/nixpkgs#123456"},
		{Base: "nixpkgs/unstable", Head: "nixpkgs/staging-next", PostTo: "NixOS/nixpkgs#7"},
	}
	if !reflect.DeepEqual(c.Compare, wantCompare) {
		t.Errorf("compare: got %+v", c.Compare)
	}
	if got := c.pos["compare[1].post_to"]; got != "m.yaml:14:67" {
		t.Errorf("position of compare[1].post_to: %q", got)
	}
}

// TestExampleCommentedValues: the values the example shows in comments
// (the compare entry, the build command and environment) are valid.
func TestExampleCommentedValues(t *testing.T) {
	t.Parallel()
	var entry, watch, command, env []string
	var block *[]string // the commented example being read
	for _, line := range strings.Split(string(readExample(t)), "\n") {
		if block != nil && !strings.HasPrefix(line, "#     ") {
			block = nil
		}
		switch {
		case strings.HasPrefix(line, "#   compare:"):
			block = &entry
			entry = append(entry, strings.TrimPrefix(line, "#   "))
		case strings.HasPrefix(line, "#   watch:"):
			block = &watch
			watch = append(watch, strings.TrimPrefix(line, "#   "))
		case block != nil:
			*block = append(*block, strings.TrimPrefix(line, "#   "))
		case strings.HasPrefix(line, `  #   ["nix-build"`):
			command = append(command, strings.TrimPrefix(line, "  #   "))
		case strings.Contains(line, `e.g. ["NIXPKGS_ALLOW_BROKEN=1"]`):
			_, v, _ := strings.Cut(line, "e.g. ")
			env = append(env, strings.TrimSuffix(v, "."))
		}
	}
	if len(entry) != 4 || len(watch) != 8 || len(command) != 1 || len(env) != 1 {
		t.Fatalf("example comments not found: %q %q %q %q", entry, watch, command, env)
	}
	w, err := Parse("example", []byte("version: 1\n"+strings.Join(watch, "\n")+"\n"))
	if err != nil {
		t.Fatalf("the watch example: %v", err)
	}
	if ws := w.Watched(); len(ws) != 3 || ws[0].Role != RoleMark || ws[2].Policy.Evaluations != 2 || ws[1].Name() != "nixos/release-25.11" ||
		ws[1].Hydra != "https://hydra.nixos.org" || w.Hydra.Jobset != "nixpkgs/unstable" {
		t.Errorf("the watch example: %+v", ws)
	}
	data := "version: 1\nprobe:\n  build_dir: /srv/nixpkgs\n  build_command: " + command[0] +
		"\n  build_env: " + env[0] + "\n" + strings.Join(entry, "\n") + "\n"
	c, err := Parse("example", []byte(data))
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if len(c.Compare) != 1 || len(c.Probe.BuildCommand) != 7 || len(c.Probe.BuildEnv) != 1 {
		t.Errorf("parsed %+v %+v", c.Compare, c.Probe)
	}
}
