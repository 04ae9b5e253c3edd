package deploy

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/testutil"
)

const versionVar = "github.com/nixpkgs-markbot/markbot/internal/version.version"

// nixFiles are the Nix files of the deployment, relative to the repository.
func nixFiles(t *testing.T, root string) []string {
	t.Helper()
	files := []string{filepath.Join(root, "flake.nix")}
	for _, glob := range []string{"nix/*.nix", "internal/deploy/testdata/*.nix"} {
		m, err := filepath.Glob(filepath.Join(root, glob))
		if err != nil {
			t.Fatal(err)
		}
		if len(m) == 0 {
			t.Fatalf("no files match %s", glob)
		}
		files = append(files, m...)
	}
	return files
}

func TestNixFilesParse(t *testing.T) {
	nix := testutil.LookTool(t, "nix-instantiate", "nix-bin")
	root := testutil.RepoRoot(t)
	for _, f := range nixFiles(t, root) {
		rel, _ := filepath.Rel(root, f)
		t.Run(rel, func(t *testing.T) {
			// Nix 2.8's --parse also rejects undefined variables, so this
			// checks that each file is a closed expression.
			out, err := exec.Command(nix, "--parse", f).CombinedOutput()
			if err != nil {
				t.Fatalf("nix-instantiate --parse %s: %v\n%s", rel, err, out)
			}
		})
	}
}

// evalJSON evaluates the Nix file at file (a function of its arguments)
// strictly and decodes the JSON result into v.
func evalJSON(t *testing.T, file string, args map[string]string, v any) {
	t.Helper()
	nix := testutil.LookTool(t, "nix-instantiate", "nix-bin")
	cmdArgs := []string{"--eval", "--strict", "--json", "--readonly-mode", file}
	for _, k := range slices.Sorted(maps.Keys(args)) {
		cmdArgs = append(cmdArgs, "--argstr", k, args[k])
	}
	cmd := exec.Command(nix, cmdArgs...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix-instantiate %s: %v\n%s", filepath.Base(file), err, stderr.String())
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("decoding the evaluation of %s: %v\n%s", filepath.Base(file), err, out)
	}
}

// checkKnownEnv fails for every MARKBOT_* name config does not read.
func checkKnownEnv(t *testing.T, where string, names []string) {
	t.Helper()
	known := config.EnvVars()
	for _, n := range names {
		if strings.HasPrefix(n, "MARKBOT_") && !slices.Contains(known, n) {
			t.Errorf("%s uses %s, which internal/config does not read (known: %s)", where, n, strings.Join(known, ", "))
		}
	}
}

type flakeEval struct {
	Description    string              `json:"description"`
	NixpkgsURL     string              `json:"nixpkgsURL"`
	Systems        []string            `json:"systems"`
	Checks         map[string][]string `json:"checks"`
	PackageSystems []string            `json:"packageSystems"`
	Package        struct {
		Pname       string   `json:"pname"`
		Version     string   `json:"version"`
		SubPackages []string `json:"subPackages"`
		Ldflags     []string `json:"ldflags"`
		VendorHash  *string  `json:"vendorHash"`
		DoCheck     bool     `json:"doCheck"`
		BuiltWith   string   `json:"builtWith"`
		PostInstall string   `json:"postInstall"`
		CGO         string   `json:"cgo"`
		Meta        struct {
			Description string `json:"description"`
			MainProgram string `json:"mainProgram"`
			Homepage    string `json:"homepage"`
			License     string `json:"license"`
		} `json:"meta"`
		SrcRoot  string `json:"srcRoot"`
		SrcFiles []struct {
			Path       string `json:"path"`
			KeepsGo    *bool  `json:"keepsGo"`
			KeepsOther *bool  `json:"keepsOther"`
		} `json:"srcFiles"`
	} `json:"package"`
	FakeHash      string   `json:"fakeHash"`
	ModuleImports []string `json:"moduleImports"`
	ModulePackage string   `json:"modulePackage"`
}

func TestFlake(t *testing.T) {
	root := testutil.RepoRoot(t)
	var f flakeEval
	evalJSON(t, filepath.Join(root, "internal/deploy/testdata/eval-flake.nix"), map[string]string{"root": root}, &f)
	p := f.Package

	if f.NixpkgsURL != "github:NixOS/nixpkgs/nixos-unstable" {
		t.Errorf("inputs.nixpkgs.url = %q, want nixos-unstable", f.NixpkgsURL)
	}
	for _, sys := range []string{"x86_64-linux", "aarch64-linux"} {
		if !slices.Contains(f.Systems, sys) {
			t.Errorf("packages lacks %s (has %v)", sys, f.Systems)
		}
		if !slices.Contains(f.Checks[sys], "markbot") {
			t.Errorf("checks.%s lacks markbot (has %v)", sys, f.Checks[sys])
		}
	}
	for i, name := range f.PackageSystems {
		if name != "markbot" {
			t.Errorf("packages.%s.default is %q, want markbot", f.Systems[i], name)
		}
	}
	if p.Pname != "markbot" || p.Version != "0-unstable-abc1234" {
		t.Errorf("pname, version = %q, %q; want markbot, 0-unstable-<self.shortRev>", p.Pname, p.Version)
	}
	if !slices.Equal(p.SubPackages, []string{"cmd/markbot"}) {
		t.Errorf("subPackages = %v, want [cmd/markbot]", p.SubPackages)
	}
	if want := "-X " + versionVar + "=" + p.Version; !slices.Contains(p.Ldflags, want) {
		t.Errorf("ldflags = %q, want one to be %q", p.Ldflags, want)
	}
	if p.BuiltWith != "go_1_26" {
		t.Errorf("built with %q, want go_1_26 (go.mod says go 1.26)", p.BuiltWith)
	}
	if p.DoCheck {
		t.Error("doCheck = true: the tests need nix-instantiate, git and shared inputs; they run in CI")
	}
	if p.CGO != "0" {
		t.Errorf("env.CGO_ENABLED = %q, want \"0\"", p.CGO)
	}
	if p.Meta.License != "MIT" || p.Meta.MainProgram != "markbot" || p.Meta.Description == "" {
		t.Errorf("meta = %+v, want license MIT, mainProgram markbot, a description", p.Meta)
	}

	// vendorHash: a real SRI hash, or lib.fakeHash while docs/deployment.md
	// explains how to get the real one.
	switch {
	case p.VendorHash == nil:
		t.Error("vendorHash = null needs a committed vendor/ directory, which this repository does not have")
	case *p.VendorHash == f.FakeHash:
		docs, err := os.ReadFile(filepath.Join(root, "docs/deployment.md"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"vendorHash", "lib.fakeHash", "nix build", "got:"} {
			if !bytes.Contains(docs, []byte(want)) {
				t.Errorf("vendorHash is the lib.fakeHash placeholder but docs/deployment.md does not mention %q", want)
			}
		}
	case !regexp.MustCompile(`^sha256-[A-Za-z0-9+/]{43}=$`).MatchString(*p.VendorHash):
		t.Errorf("vendorHash = %q, not an SRI sha256 hash", *p.VendorHash)
	}

	// The package's version variable is the one ldflags sets.
	src, err := os.ReadFile(filepath.Join(root, "internal/version/version.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^var version = ""`).Match(src) {
		t.Errorf("internal/version/version.go has no `var version = \"\"` for ldflags -X %s", versionVar)
	}

	// Source filter: rooted at the repository, every entry exists, the Go
	// directories keep only .go files, and the files postInstall installs
	// are in it.
	if p.SrcRoot != root {
		t.Errorf("src root = %s, want %s", p.SrcRoot, root)
	}
	var goDirs, files []string
	for _, e := range p.SrcFiles {
		if _, err := os.Stat(e.Path); err != nil {
			t.Errorf("src fileset: %v", err)
		}
		if e.KeepsGo != nil {
			if !*e.KeepsGo || *e.KeepsOther {
				t.Errorf("src fileset: filter on %s keeps .go: %v, other files: %v; want only .go", e.Path, *e.KeepsGo, *e.KeepsOther)
			}
			goDirs = append(goDirs, e.Path)
		} else {
			files = append(files, e.Path)
		}
	}
	for _, want := range []string{"go.mod", "go.sum", "config/markbot.example.yaml"} {
		if !slices.Contains(files, filepath.Join(root, want)) {
			t.Errorf("src fileset lacks %s", want)
		}
	}
	if !strings.Contains(p.PostInstall, "config/markbot.example.yaml") {
		t.Errorf("postInstall does not install the example configuration: %q", p.PostInstall)
	}
	var wholeDirs []string // plain entries that are directories: every file kept
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.IsDir() {
			wholeDirs = append(wholeDirs, f)
		}
	}
	checkBuildInputs(t, root, goDirs, wholeDirs)

	if len(f.ModuleImports) != 1 || f.ModuleImports[0] != filepath.Join(root, "nix/module.nix") {
		t.Errorf("nixosModules.default imports %v, want [nix/module.nix]", f.ModuleImports)
	}
	if f.ModulePackage != "markbot" {
		t.Errorf("nixosModules.default sets services.markbot.package to %q, want the flake's markbot", f.ModulePackage)
	}
}

// checkBuildInputs checks, with go list, that every package of this module
// cmd/markbot is built from lives in a directory the fileset keeps whole, or
// in one it keeps the .go files of and needs no other files there
// (embedded files, C or assembly sources).
func checkBuildInputs(t *testing.T, root string, goDirs, wholeDirs []string) {
	t.Helper()
	gobin := testutil.LookTool(t, "go", "golang-go")
	cmd := exec.Command(gobin, "list", "-deps", "-json=ImportPath,Dir,Module,EmbedFiles,CgoFiles,CFiles,SFiles,SysoFiles", "./cmd/markbot")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	n := 0
	for dec.More() {
		var pkg struct {
			ImportPath, Dir                                 string
			Module                                          *struct{ Main bool }
			EmbedFiles, CgoFiles, CFiles, SFiles, SysoFiles []string
		}
		if err := dec.Decode(&pkg); err != nil {
			t.Fatal(err)
		}
		if pkg.Module == nil || !pkg.Module.Main {
			continue
		}
		n++
		inWhole := func(path string) bool {
			return slices.ContainsFunc(wholeDirs, func(d string) bool { return strings.HasPrefix(path+"/", d+"/") })
		}
		if !inWhole(pkg.Dir) && !slices.ContainsFunc(goDirs, func(d string) bool { return strings.HasPrefix(pkg.Dir+"/", d+"/") }) {
			t.Errorf("%s (%s) is outside the fileset's Go directories %v", pkg.ImportPath, pkg.Dir, goDirs)
		}
		// Files other than .go ones must be in a directory kept whole.
		var missing []string
		for _, f := range slices.Concat(pkg.EmbedFiles, pkg.CgoFiles, pkg.CFiles, pkg.SFiles, pkg.SysoFiles) {
			if !inWhole(filepath.Join(pkg.Dir, f)) {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s needs %v, which the fileset leaves out", pkg.ImportPath, missing)
		}
	}
	if n == 0 {
		t.Error("go list found no package of this module behind ./cmd/markbot")
	}
}

type moduleEval struct {
	Defaults               map[string]any         `json:"defaults"`
	Modes                  []string               `json:"modes"`
	SettingsVersionDefault int                    `json:"settingsVersionDefault"`
	Scenarios              map[string]moduleState `json:"scenarios"`
}

type moduleState struct {
	Assertions []struct {
		Assertion bool   `json:"assertion"`
		Message   string `json:"message"`
	} `json:"assertions"`
	Services map[string]unit `json:"services"`
	Timers   map[string]unit `json:"timers"`
	TopLevel []string        `json:"topLevel"`
}

type unit struct {
	WantedBy      []string          `json:"wantedBy"`
	Wants         []string          `json:"wants"`
	After         []string          `json:"after"`
	Environment   map[string]string `json:"environment"`
	ServiceConfig map[string]any    `json:"serviceConfig"`
	TimerConfig   map[string]any    `json:"timerConfig"`
}

// failed returns the messages of the failed assertions.
func (s moduleState) failed() []string {
	var msgs []string
	for _, a := range s.Assertions {
		if !a.Assertion {
			msgs = append(msgs, a.Message)
		}
	}
	return msgs
}

func TestModule(t *testing.T) {
	root := testutil.RepoRoot(t)
	settings := map[string]any{
		"version": 1,
		"github":  map[string]any{"app_id": 1, "installation_id": 2},
	}
	scenarios := map[string]map[string]any{
		"disabled": {"privateKeyFile": "/run/secrets/markbot.pem"},
		"timer": {"enable": true, "settings": settings,
			"privateKeyFile": "/run/secrets/markbot.pem"},
		"timer-2h": {"enable": true, "settings": settings, "interval": "2h",
			"privateKeyFile": "/run/secrets/markbot.pem", "webhookSecretFile": "/run/secrets/webhook"},
		"serve": {"enable": true, "settings": settings, "mode": "serve",
			"privateKeyFile": "/run/secrets/markbot.pem", "webhookSecretFile": "/run/secrets/webhook"},
		"no-key":              {"enable": true, "settings": settings},
		"serve-no-webhook":    {"enable": true, "settings": settings, "mode": "serve", "privateKeyFile": "/run/secrets/markbot.pem"},
		"key-in-store":        {"enable": true, "settings": settings, "privateKeyFile": "/nix/store/abc-markbot.pem"},
		"key-relative":        {"enable": true, "settings": settings, "privateKeyFile": "markbot.pem"},
		"webhook-in-store":    {"enable": true, "settings": settings, "privateKeyFile": "/run/k", "webhookSecretFile": "/nix/store/abc-w"},
		"timer-without-hooks": {"enable": true, "settings": settings, "mode": "timer", "privateKeyFile": "/run/k"},
	}
	js, err := json.Marshal(scenarios)
	if err != nil {
		t.Fatal(err)
	}
	var m moduleEval
	evalJSON(t, filepath.Join(root, "internal/deploy/testdata/eval-module.nix"),
		map[string]string{"root": root, "scenarios": string(js)}, &m)

	if !slices.Equal(m.Modes, []string{"serve", "timer"}) {
		t.Errorf("mode is one of %v, want serve, timer", m.Modes)
	}
	if m.SettingsVersionDefault != 1 {
		t.Errorf("settings.version defaults to %d, want 1", m.SettingsVersionDefault)
	}
	if m.Defaults["enable"] != false || m.Defaults["mode"] != "timer" || m.Defaults["interval"] != "6h" ||
		m.Defaults["privateKeyFile"] != nil || m.Defaults["webhookSecretFile"] != nil {
		t.Errorf("defaults = %v", m.Defaults)
	}

	if s := m.Scenarios["disabled"]; len(s.TopLevel) != 0 {
		t.Errorf("enable = false still defines %v", s.TopLevel)
	}

	// Refused configurations: each fails exactly the assertion naming it.
	for name, want := range map[string]string{
		"no-key":           "privateKeyFile must be set",
		"serve-no-webhook": "webhookSecretFile must be set",
		"key-in-store":     "privateKeyFile must be an absolute path outside the Nix store",
		"key-relative":     "privateKeyFile must be an absolute path outside the Nix store",
		"webhook-in-store": "webhookSecretFile must be an absolute path outside the Nix store",
	} {
		failed := m.Scenarios[name].failed()
		if len(failed) != 1 || !strings.Contains(failed[0], want) {
			t.Errorf("%s: failed assertions %q, want one saying %q", name, failed, want)
		}
	}

	for _, name := range []string{"timer", "timer-2h", "serve", "timer-without-hooks"} {
		t.Run(name, func(t *testing.T) {
			s := m.Scenarios[name]
			if failed := s.failed(); len(failed) > 0 {
				t.Fatalf("assertions failed: %q", failed)
			}
			svc, ok := s.Services["markbot"]
			if !ok {
				t.Fatalf("no systemd.services.markbot (services: %v)", slices.Sorted(maps.Keys(s.Services)))
			}
			checkService(t, svc, scenarios[name])
			serve := scenarios[name]["mode"] == "serve"
			timer, hasTimer := s.Timers["markbot"]
			if serve {
				if hasTimer {
					t.Error("serve mode defines a timer")
				}
				if svc.ServiceConfig["Restart"] != "on-failure" || !slices.Contains(svc.WantedBy, "multi-user.target") {
					t.Errorf("serve: Restart = %v, wantedBy = %v; want on-failure, multi-user.target", svc.ServiceConfig["Restart"], svc.WantedBy)
				}
				return
			}
			interval := "6h"
			if i, ok := scenarios[name]["interval"].(string); ok {
				interval = i
			}
			if !hasTimer || timer.TimerConfig["OnUnitInactiveSec"] != interval || !slices.Contains(timer.WantedBy, "timers.target") {
				t.Errorf("timer = %+v (present: %v), want OnUnitInactiveSec = %s, wantedBy timers.target", timer, hasTimer, interval)
			}
			if svc.ServiceConfig["Type"] != "oneshot" || svc.ServiceConfig["Restart"] != nil || len(svc.WantedBy) != 0 {
				t.Errorf("timer: Type = %v, Restart = %v, wantedBy = %v; want oneshot, none, none (the timer starts it)",
					svc.ServiceConfig["Type"], svc.ServiceConfig["Restart"], svc.WantedBy)
			}
		})
	}
}

// checkService checks what every mode shares: the command, the dynamic user
// and its state, secrets through credentials, the hardening.
func checkService(t *testing.T, svc unit, cfg map[string]any) {
	t.Helper()
	sc := svc.ServiceConfig
	sub := "run"
	if cfg["mode"] == "serve" {
		sub = "serve"
	}
	execRe := regexp.MustCompile(`^/nix/store/[^ ]+/bin/markbot ` + sub + ` --config /nix/store/[0-9a-z]{32}-markbot\.yaml$`)
	if s, _ := sc["ExecStart"].(string); !execRe.MatchString(s) {
		t.Errorf("ExecStart = %q, want markbot %s --config <generated markbot.yaml>", s, sub)
	}
	for _, target := range [][]string{svc.Wants, svc.After} {
		if !slices.Contains(target, "network-online.target") {
			t.Errorf("wants/after = %v / %v, want network-online.target in both", svc.Wants, svc.After)
		}
	}

	// State: the database lives in the StateDirectory.
	if sc["DynamicUser"] != true || sc["StateDirectory"] != "markbot" {
		t.Errorf("DynamicUser = %v, StateDirectory = %v; want true, markbot", sc["DynamicUser"], sc["StateDirectory"])
	}
	if got := svc.Environment["MARKBOT_STATE_PATH"]; path.Dir(got) != "/var/lib/"+sc["StateDirectory"].(string) {
		t.Errorf("MARKBOT_STATE_PATH = %q, not in the StateDirectory %v", got, sc["StateDirectory"])
	}

	// Secrets: each *_FILE variable points into the credentials directory
	// at a credential loaded from the configured file, and nothing else is
	// loaded.
	creds := map[string]string{}
	for _, c := range anyStrings(sc["LoadCredential"]) {
		id, file, ok := strings.Cut(c, ":")
		if !ok {
			t.Errorf("LoadCredential entry %q is not ID:PATH", c)
		}
		creds[id] = file
	}
	wantFiles := map[string]any{
		"MARKBOT_GITHUB_PRIVATE_KEY_FILE":    cfg["privateKeyFile"],
		"MARKBOT_GITHUB_WEBHOOK_SECRET_FILE": cfg["webhookSecretFile"],
	}
	used := map[string]bool{}
	for env, file := range wantFiles {
		v, set := svc.Environment[env]
		if file == nil {
			if set {
				t.Errorf("%s = %q without a file configured", env, v)
			}
			continue
		}
		id, ok := strings.CutPrefix(v, "%d/")
		if !ok {
			t.Errorf("%s = %q, want %%d/<credential>", env, v)
			continue
		}
		if creds[id] != file {
			t.Errorf("%s = %s, but credential %q is loaded from %q, want %v", env, v, id, creds[id], file)
		}
		used[id] = true
	}
	for id := range creds {
		if !used[id] {
			t.Errorf("credential %q is loaded but no variable points at it", id)
		}
	}

	for k, want := range map[string]any{
		"ProtectSystem": "strict", "ProtectHome": true, "PrivateTmp": true, "NoNewPrivileges": true,
		"CapabilityBoundingSet": "", "PrivateDevices": true, "MemoryDenyWriteExecute": true,
		"UMask": "0077",
	} {
		if sc[k] != want {
			t.Errorf("%s = %v, want %v", k, sc[k], want)
		}
	}
	if got := anyStrings(sc["RestrictAddressFamilies"]); !slices.Equal(got, []string{"AF_INET", "AF_INET6", "AF_UNIX"}) {
		t.Errorf("RestrictAddressFamilies = %v", got)
	}
	if got := anyStrings(sc["SystemCallFilter"]); len(got) == 0 || got[0] != "@system-service" {
		t.Errorf("SystemCallFilter = %v, want @system-service first", got)
	}
	checkKnownEnv(t, "nix/module.nix", slices.Sorted(maps.Keys(svc.Environment)))
}

func anyStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

type workflow struct {
	Name string `yaml:"name"`
	On   struct {
		Schedule         []struct{ Cron string } `yaml:"schedule"`
		WorkflowDispatch *struct {
			Inputs map[string]struct {
				Description string `yaml:"description"`
				Type        string `yaml:"type"`
				Default     any    `yaml:"default"`
			} `yaml:"inputs"`
		} `yaml:"workflow_dispatch"`
	} `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		RunsOn      string            `yaml:"runs-on"`
		Timeout     int               `yaml:"timeout-minutes"`
		Needs       string            `yaml:"needs"`
		If          string            `yaml:"if"`
		Outputs     map[string]string `yaml:"outputs"`
		Environment struct {
			Name string `yaml:"name"`
			URL  string `yaml:"url"`
		} `yaml:"environment"`
		Permissions map[string]string `yaml:"permissions"`
		Env         map[string]string `yaml:"env"`
		Steps       []struct {
			Name string            `yaml:"name"`
			ID   string            `yaml:"id"`
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
			With map[string]any    `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

var (
	secretRef   = regexp.MustCompile(`\$\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}`)
	markbotVar  = regexp.MustCompile(`\bMARKBOT_[A-Z0-9_]+`)
	markbotRun  = regexp.MustCompile(`/markbot"?\s+run\b`)
	shellTraced = regexp.MustCompile(`(?m)^\s*set\s+(-[a-z]*x|-o\s+xtrace)`)
)

func TestWorkflow(t *testing.T) {
	root := testutil.RepoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, ".github/workflows/markbot.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil {
		// KnownFields also catches keys this test does not model: extend
		// the struct rather than loosen the decoder.
		t.Fatalf("markbot.yml: %v", err)
	}

	if len(w.On.Schedule) == 0 || w.On.Schedule[0].Cron == "" {
		t.Error("no on.schedule cron")
	}
	if w.On.WorkflowDispatch == nil {
		t.Error("no on.workflow_dispatch")
	} else if in, ok := w.On.WorkflowDispatch.Inputs["dry_run"]; !ok || in.Type != "boolean" {
		t.Errorf("workflow_dispatch input dry_run = %+v (present: %v), want a boolean", in, ok)
	}
	if w.Concurrency.Group == "" || w.Concurrency.CancelInProgress {
		t.Errorf("concurrency = %+v, want a group and no cancelling of a run in progress", w.Concurrency)
	}
	if len(w.Permissions) == 0 {
		t.Error("no top-level permissions: the token would get the repository's defaults")
	}
	perms := []map[string]string{w.Permissions}

	// Every environment variable set anywhere, and which hold secrets.
	envs := []map[string]string{w.Env}
	secretVars := map[string]string{} // env name -> secret
	var runs []string
	var statePath, cacheRestore, cacheSave, goVersion string
	for jobName, job := range w.Jobs {
		perms = append(perms, job.Permissions)
		envs = append(envs, job.Env)
		for i, s := range job.Steps {
			where := fmt.Sprintf("job %s, step %d (%s%s)", jobName, i+1, s.Name, s.Uses)
			envs = append(envs, s.Env)
			if secretRef.MatchString(s.Run) {
				t.Errorf("%s: a secret is interpolated into the script; pass it through env", where)
			}
			for k, v := range s.With {
				if str, ok := v.(string); ok && secretRef.MatchString(str) {
					t.Errorf("%s: secret passed to with.%s", where, k)
				}
			}
			if s.Run != "" {
				runs = append(runs, s.Run)
			}
			if v, ok := s.Env["MARKBOT_STATE_PATH"]; ok {
				statePath = v
			}
			switch {
			case strings.HasPrefix(s.Uses, "actions/cache/restore@"):
				cacheRestore, _ = s.With["path"].(string)
			case strings.HasPrefix(s.Uses, "actions/cache/save@"):
				cacheSave, _ = s.With["path"].(string)
			case strings.HasPrefix(s.Uses, "actions/setup-go@"):
				goVersion, _ = s.With["go-version"].(string)
			}
		}
	}
	for _, p := range perms {
		for scope, access := range p {
			if access != "read" && access != "none" && !pagesDeploy(p) {
				t.Errorf("permissions: %s: %s; the workflow's token needs no writes (the App's token makes them)", scope, access)
			}
		}
	}
	checkPagesJobs(t, &w)
	var envNames []string
	for _, env := range envs {
		for k, v := range env {
			envNames = append(envNames, k)
			if m := secretRef.FindStringSubmatch(v); m != nil {
				secretVars[k] = m[1]
			}
		}
	}
	if len(secretVars) == 0 {
		t.Fatal("no secrets passed to any step")
	}

	// The key is written to a file under umask 077, never printed.
	var keyWritten bool
	for _, run := range runs {
		if shellTraced.MatchString(run) {
			t.Errorf("a script turns on set -x, which prints every expanded command:\n%s", run)
		}
		umask := false
		for _, line := range strings.Split(run, "\n") {
			if strings.Contains(line, "umask 077") {
				umask = true
			}
			for name := range secretVars {
				if !regexp.MustCompile(`\$\{?` + name + `\b`).MatchString(line) {
					continue
				}
				if strings.Contains(line, "echo") || !strings.Contains(line, ">") {
					t.Errorf("secret variable %s used in a line that is not a write to a file: %q", name, strings.TrimSpace(line))
					continue
				}
				if !umask {
					t.Errorf("secret variable %s written before umask 077: %q", name, strings.TrimSpace(line))
				}
				keyWritten = true
			}
		}
	}
	if !keyWritten {
		t.Error("no step writes the private key secret to a file")
	}
	if !slices.Contains(envNames, "MARKBOT_GITHUB_APP_ID") || !slices.Contains(envNames, "MARKBOT_GITHUB_INSTALLATION_ID") {
		t.Errorf("the App id and installation id are not passed (env: %v)", envNames)
	}

	// markbot run is always given --config, and the key file by variable.
	var invocations int
	var allRuns string
	for _, run := range runs {
		allRuns += run + "\n"
		for _, line := range strings.Split(run, "\n") {
			if markbotRun.MatchString(line) {
				invocations++
				if !strings.Contains(line, "--config") {
					t.Errorf("markbot run without --config: %q", strings.TrimSpace(line))
				}
			}
		}
	}
	if invocations == 0 {
		t.Error("no step runs markbot run")
	}
	if !strings.Contains(allRuns, "MARKBOT_GITHUB_PRIVATE_KEY_FILE=") {
		t.Error("the key file is not passed through MARKBOT_GITHUB_PRIVATE_KEY_FILE")
	}

	// The cache holds exactly the state directory: the database's directory,
	// where the Hydra evaluation cache lives too.
	if statePath == "" {
		t.Error("MARKBOT_STATE_PATH is not set: the default /var/lib/markbot is not writable on a runner")
	} else if cacheRestore != path.Dir(statePath) || cacheSave != path.Dir(statePath) {
		t.Errorf("cache restore/save paths %q/%q, want the state directory %q", cacheRestore, cacheSave, path.Dir(statePath))
	}

	// setup-go's version is go.mod's language version.
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if m == nil || goVersion != string(m[1]) {
		t.Errorf("setup-go go-version = %q, go.mod says %s", goVersion, m)
	}

	// Every MARKBOT_* variable is one markbot reads (secret names, which
	// are not variables, are left out).
	checkKnownEnv(t, "markbot.yml env", envNames)
	checkKnownEnv(t, "markbot.yml scripts", markbotVar.FindAllString(secretRef.ReplaceAllString(allRuns, ""), -1))

	// The documentation names every secret the workflow reads.
	docs, err := os.ReadFile(filepath.Join(root, "docs/deployment.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range secretVars {
		if !bytes.Contains(docs, []byte(secret)) {
			t.Errorf("docs/deployment.md does not mention the secret %s", secret)
		}
	}
}

// pagesDeploy reports whether p is exactly what deploying to GitHub Pages
// needs (actions/deploy-pages' README: pages: write, id-token: write).
func pagesDeploy(p map[string]string) bool {
	return len(p) == 2 && p["pages"] == "write" && p["id-token"] == "write"
}

// checkPagesJobs: a job that may write to Pages does nothing but deploy
// what the run job uploaded (no checkout, no script, no secret, no
// environment variable); the site is written by markbot site into the
// cached state directory (its feeds' history must survive), with no
// secret, and the uploaded path is that output.
func checkPagesJobs(t *testing.T, w *workflow) {
	t.Helper()
	var deploys int
	for name, job := range w.Jobs {
		if !pagesDeploy(job.Permissions) {
			continue
		}
		deploys++
		if job.Needs != "run" || !strings.Contains(job.If, "needs.run.outputs.site") {
			t.Errorf("job %s: deploys without waiting for the run job's site (needs %q, if %q)", name, job.Needs, job.If)
		}
		if job.Environment.Name != "github-pages" {
			t.Errorf("job %s: environment %q, want github-pages", name, job.Environment.Name)
		}
		if len(job.Env) > 0 {
			t.Errorf("job %s: environment variables %v in the job that can write", name, job.Env)
		}
		for _, st := range job.Steps {
			if !strings.HasPrefix(st.Uses, "actions/deploy-pages@") || st.Run != "" || len(st.Env) > 0 || len(st.With) > 0 {
				t.Errorf("job %s: step %q (%s) in the job that can write: only actions/deploy-pages belongs there", name, st.Name, st.Uses)
			}
		}
	}
	run, ok := w.Jobs["run"]
	if !ok {
		t.Fatal("no run job")
	}
	var siteOut, uploaded string
	for _, st := range run.Steps {
		if regexp.MustCompile(`/markbot"?\s+site\b`).MatchString(st.Run) {
			if secretRef.MatchString(fmt.Sprint(st.Env)) {
				t.Errorf("step %q: markbot site is given a secret; it reads Hydra and the state database only", st.Name)
			}
			if m := regexp.MustCompile(`--out\s+"?([^"\s]+)"?`).FindStringSubmatch(st.Run); m != nil {
				siteOut = m[1]
			}
			if !strings.Contains(st.Run, "--config") || !strings.Contains(st.Run, "--base-url") {
				t.Errorf("step %q: markbot site without --config or --base-url", st.Name)
			}
			if st.Env["MARKBOT_STATE_PATH"] == "" {
				t.Errorf("step %q: markbot site does not read the run's state database (MARKBOT_STATE_PATH)", st.Name)
			}
		}
		if strings.HasPrefix(st.Uses, "actions/upload-pages-artifact@") {
			uploaded, _ = st.With["path"].(string)
		}
	}
	if deploys == 0 {
		t.Fatal("no job deploys the site to GitHub Pages")
	}
	if siteOut == "" || uploaded == "" {
		t.Fatalf("markbot site --out %q, uploaded %q: the site is not written or not uploaded", siteOut, uploaded)
	}
	// The --out of the script uses $RUNNER_TEMP, the upload ${{ runner.temp }}.
	if strings.Replace(siteOut, "$RUNNER_TEMP", "${{ runner.temp }}", 1) != uploaded {
		t.Errorf("markbot site writes %q but %q is uploaded", siteOut, uploaded)
	}
	if !strings.HasPrefix(uploaded, "${{ runner.temp }}/markbot-state/") {
		t.Errorf("the site %q is not in the cached state directory: its feeds' history would be lost between runs", uploaded)
	}
	if run.Outputs["site"] == "" {
		t.Error("the run job has no site output for the deploy job to wait on")
	}
}

// TestVendorHash recomputes the flake's vendorHash as buildGoModule's
// goModules derivation makes it (the NAR hash of `go mod vendor`'s output)
// and compares it with nix/package.nix, so that a change to go.mod or
// go.sum cannot leave the flake with a stale hash.
func TestVendorHash(t *testing.T) {
	if testing.Short() {
		t.Skip("vendors every dependency (~150 MB)")
	}
	gobin := testutil.LookTool(t, "go", "golang-go")
	nixHash := testutil.LookTool(t, "nix-hash", "nix-bin")
	root := testutil.RepoRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "nix/package.nix"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`vendorHash = "sha256-([A-Za-z0-9+/]{43}=)";`).FindSubmatch(src)
	if m == nil {
		t.Fatal("nix/package.nix has no SRI vendorHash")
	}
	want, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	vendor := filepath.Join(t.TempDir(), "vendor")
	cmd := exec.Command(gobin, "mod", "vendor", "-o", vendor)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod vendor: %v\n%s", err, out)
	}
	cmd = exec.Command(nixHash, "--type", "sha256", vendor)
	cmd.Env = append(os.Environ(), "NIX_STATE_DIR="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix-hash: %v", err)
	}
	got, err := hex.DecodeString(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("nix-hash printed %q", out)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("nix/package.nix: vendorHash is stale; go.mod/go.sum now give vendorHash = \"sha256-%s\";",
			base64.StdEncoding.EncodeToString(got))
	}
}
