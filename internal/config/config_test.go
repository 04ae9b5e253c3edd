package config

import (
	"encoding/json"
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
