package config

// Tests of the checks on values: each invalid value refused with the key
// and line it is at, and every error of a file reported at once.

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

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
		{"server", "resync_interval: 1m", "server.resync_interval", `must be 0 (read every cycle) or at least 5m, got 1m`},
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
		{"hydra", "confirm_builds: 0", "hydra.confirm_builds", `markbot.yaml:3:19: hydra.confirm_builds: must be between 1 and 10000 (each build costs one or two requests, once), got 0`},
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
