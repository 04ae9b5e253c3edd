package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
	"github.com/nixpkgs-markbot/markbot/internal/nixedit"
)

const examples = "../../examples"

// runScenario is a Hydra history over the sample tree (examples/): four
// evaluations five days apart, with
//   - cmatrix, figlet, sl (one maintainer set): failing everywhere, on two
//     derivations → one pull request for the three;
//   - pv: failing on both darwins only → broken = stdenv.hostPlatform.isDarwin;
//   - python312/313Packages.requests (one file, no stdenv argument):
//     failing on x86_64-linux → one change, stdenv added;
//   - python312Packages.httpx failing while python313Packages.httpx builds:
//     the shared file must not be marked;
//   - lzip flaky (a success in between), units failing only through a
//     dependency (status 2), fd aborted (3): never marked;
//   - everything else building.
func runScenario(t *testing.T) *hydratest.Static {
	t.Helper()
	var index struct {
		Packages map[string]json.RawMessage `json:"packages"`
	}
	data, err := os.ReadFile(filepath.Join(examples, "packages.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &index); err != nil {
		t.Fatal(err)
	}
	var attrs []string
	for a := range index.Packages {
		attrs = append(attrs, a)
	}
	sort.Strings(attrs)
	systems := []string{"x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"}
	const t0 = int64(1793000000) // 2026-10-26
	const day = 86400
	id := int64(300000000)
	s := hydratest.NewStatic("nixpkgs", "unstable")
	// status of attr on system in evaluation e (0 = oldest), and the
	// derivation version (a new version is a new derivation).
	status := func(attr, sys string, e int) (int, int) {
		darwin := strings.HasSuffix(sys, "darwin")
		switch attr {
		case "cmatrix", "figlet", "sl":
			return 1, min(e, 1)
		case "pv":
			if darwin {
				return 1, min(e, 1)
			}
		case "python312Packages.requests", "python313Packages.requests":
			if sys == "x86_64-linux" {
				return 6, min(e, 1)
			}
		case "python312Packages.httpx":
			if sys == "x86_64-linux" {
				return 1, min(e, 1)
			}
		case "lzip":
			return []int{1, 0, 1, 1}[e], e
		case "units":
			return 2, e
		case "fd":
			return 3, 0
		}
		return 0, 0
	}
	builds := map[string]*hydratest.Build{} // reused across evaluations per derivation
	for e := 0; e < 4; e++ {
		ts := t0 + int64(e)*5*day
		var members []*hydratest.Build
		for _, attr := range attrs {
			for _, sys := range systems {
				st, v := status(attr, sys, e)
				drv := fmt.Sprintf("%032d-%s-%d", len(builds)%7+v, strings.ReplaceAll(attr, ".", "-"), v)
				key := attr + sys + fmt.Sprint(v, st)
				b, ok := builds[key]
				if !ok {
					id++
					drv = fmt.Sprintf("%032x", id)[:32] + "-" + strings.ReplaceAll(attr, ".", "-") + fmt.Sprintf("-%d", v)
					b = hydratest.B(id, attr+"."+sys, sys, st, drv, ts, ts+600)
					if st == 1 || st == 6 {
						b.Log = fmt.Sprintf("building %s\nerror: %s failed on %s\n", attr, attr, sys)
					}
					builds[key] = b
				}
				members = append(members, b)
			}
		}
		s.AddEval(int64(1820000+e), ts, members...)
	}
	return s
}

type runEnv struct {
	hydra  *hydratest.Fake
	gh     *githubtest.Server
	config string
	state  string
}

func newRunEnv(t *testing.T) *runEnv {
	t.Helper()
	fh := hydratest.New(runScenario(t))
	hsrv := httptest.NewServer(fh)
	t.Cleanup(hsrv.Close)
	var users []githubtest.User
	for i, login := range []string{"alice-nix", "bob-builds", "carol-dev", "dave-go", "erin-rs", "frank-py", "grace-snake", "heidi-fonts", "ivan-sys"} {
		users = append(users, githubtest.User{Login: login, ID: int64(10001 + i), Collaborator: true})
	}
	users = append(users, githubtest.User{Login: "stv0g", ID: 285829, Collaborator: true})
	gh := githubtest.New(t, githubtest.Options{SeedDir: filepath.Join(examples, "nixpkgs"), Users: users})
	t.Cleanup(gh.Close)
	dir := t.TempDir()
	source, _ := filepath.Abs(filepath.Join(examples, "packages.json"))
	cfg := fmt.Sprintf(`version: 1
hydra:
  url: %s
  evaluations: 4
github:
  api_url: %s
  repository: NixOS/nixpkgs
  bot_login: markbot[bot]
packages:
  source: %s
state:
  path: %s
`, hsrv.URL, gh.URL(), source, filepath.Join(dir, "state", "markbot.db"))
	path := filepath.Join(dir, "markbot.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MARKBOT_GITHUB_TOKEN", "ghp_test")
	return &runEnv{hydra: fh, gh: gh, config: path, state: filepath.Join(dir, "state")}
}

// cycle runs what `markbot run` runs, with Hydra's rate limit lifted for
// the test (configuration caps it at hydra.nixos.org's 2 requests/s).
func (e *runEnv) cycle(t *testing.T, dryRun bool) string {
	t.Helper()
	cfg, err := config.Load(e.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Hydra.RequestsPerSecond = 1000
	var out, errb bytes.Buffer
	sum, err := runCycle(context.Background(), cfg, dryRun, cliLogger(&errb, false), &errb)
	if err != nil {
		t.Fatalf("cycle: %v\n%s", err, errb.String())
	}
	writeRunSummary(&out, cfg, sum, dryRun)
	return out.String()
}

func TestRunOpensPullRequests(t *testing.T) {
	e := newRunEnv(t)
	out := e.cycle(t, false)
	for _, want := range []string{
		"persistent failures in evaluation 1820003",
		"not proposed: python312Packages.httpx: shares its file with attributes that still build (python313Packages.httpx on x86_64-linux)",
		"3 PRs opened",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	prs := e.gh.PullRequests()
	if len(prs) != 3 {
		t.Fatalf("%d pull requests, want 3:\n%s", len(prs), out)
	}
	// What each pull request's branch holds, and to whom it goes.
	want := map[string]struct {
		files     map[string]string // file → a line the marked file must have
		reviewers []string
	}{
		"cmatrix": {map[string]string{
			"pkgs/by-name/cm/cmatrix/package.nix": "broken = true;",
			"pkgs/by-name/fi/figlet/package.nix":  "broken = true;",
			"pkgs/by-name/sl/sl/package.nix":      "broken = true;",
		}, []string{"alice-nix", "bob-builds"}},
		// Darwin only: a secondary platform, nobody pinged (policy.ping_secondary_platforms).
		"pv":       {map[string]string{"pkgs/by-name/pv/pv/package.nix": "broken = stdenv.hostPlatform.isDarwin;"}, nil},
		"requests": {map[string]string{"pkgs/development/python-modules/requests/default.nix": `broken = stdenv.hostPlatform.system == "x86_64-linux";`}, []string{"frank-py"}},
	}
	for _, pr := range prs {
		var key string
		for k := range want {
			if strings.Contains(pr.Body, k) {
				key = k
			}
		}
		w, ok := want[key]
		if !ok {
			t.Errorf("unexpected pull request #%d %q", pr.Number, pr.Title)
			continue
		}
		delete(want, key)
		if !slicesEqual(pr.Labels, []string{"0.kind: build failure"}) {
			t.Errorf("#%d labels %v", pr.Number, pr.Labels)
		}
		if got := sorted(pr.Reviewers); !slicesEqual(got, w.reviewers) {
			t.Errorf("#%d reviewers %v, want %v", pr.Number, got, w.reviewers)
		}
		if !strings.Contains(pr.Body, "/log") || !strings.Contains(pr.Body, "generated by [markbot]") {
			t.Errorf("#%d body lacks the log link or the disclosure:\n%s", pr.Number, pr.Body)
		}
		for file, line := range w.files {
			got, err := e.gh.File(pr.HeadSHA, file)
			if err != nil {
				t.Fatalf("#%d: %s: %v", pr.Number, file, err)
			}
			if !strings.Contains(string(got), line) || !strings.Contains(string(got), "# markbot: ") {
				t.Errorf("#%d: %s lacks %q:\n%s", pr.Number, file, line, got)
			}
			if _, err := nixedit.Parse(file, got); err != nil {
				t.Errorf("#%d: %s does not parse: %v", pr.Number, file, err)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("no pull request for %v", want)
	}
	if b := findPR(prs, "`pv`").Body; !strings.Contains(b, "maintainers are not pinged") || strings.Contains(b, "@carol-dev") {
		t.Errorf("pv fails only on Darwin: the body must say nobody is pinged, and not ping:\n%s", b)
	}
	// requests had no stdenv argument: the marker added it.
	got, _ := e.gh.File(findPR(prs, "requests").HeadSHA, "pkgs/development/python-modules/requests/default.nix")
	if !strings.Contains(string(got), "added the stdenv argument") {
		t.Errorf("requests: stdenv not added:\n%s", got)
	}

	// A second run changes nothing: everything is covered by the open PRs.
	e.gh.ResetStats()
	out = e.cycle(t, false)
	if m := e.gh.Mutations(); len(m) != 0 {
		t.Errorf("second run wrote %d times: %v\n%s", len(m), m, out)
	}
	if len(e.gh.PullRequests()) != 3 {
		t.Errorf("second run opened more pull requests")
	}
}

func TestRunDryRun(t *testing.T) {
	e := newRunEnv(t)
	out := e.cycle(t, true)
	if m := e.gh.Mutations(); len(m) != 0 {
		t.Fatalf("dry run wrote %d times: %v", len(m), m)
	}
	for _, want := range []string{"=== pull request markbot/mark-", "+    broken = stdenv.hostPlatform.isDarwin;", "would open markbot/mark-"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	// Only the Hydra cache may be written; the state database is not.
	if _, err := os.Stat(filepath.Join(e.state, "markbot.db")); err == nil {
		t.Errorf("dry run created the state database")
	}
}

func TestRunUsageAndConfigErrors(t *testing.T) {
	if code, _, stderr := run(t, "run"); code != exitUsage || !strings.Contains(stderr, "--config FILE is required") {
		t.Errorf("no config: exit %d, %q", code, stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nhydra:\n  urll: x\n"), 0o644)
	if code, _, stderr := run(t, "run", "--config", bad); code != exitError || !strings.Contains(stderr, `unknown key "hydra.urll"`) {
		t.Errorf("bad config: exit %d, %q", code, stderr)
	}
}

func findPR(prs []githubtest.PullRequest, text string) githubtest.PullRequest {
	for _, p := range prs {
		if strings.Contains(p.Body, text) {
			return p
		}
	}
	return githubtest.PullRequest{}
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

func slicesEqual(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}
