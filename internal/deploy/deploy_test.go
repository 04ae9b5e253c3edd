package deploy

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

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
