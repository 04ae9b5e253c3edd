package main

import (
	"fmt"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
)

// requestsLog is the fake's per-route request counts, for failure messages.
func requestsLog(gh *githubtest.Server) string {
	var lines []string
	for k, v := range gh.RequestCounts() {
		lines = append(lines, k+" ×"+strconv.Itoa(v))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// moveBase commits an unrelated file to the base branch, as nixpkgs'
// master moves every few minutes: an idle cycle sees a new base each time,
// so what it reads of the base, or of anything GitHub embeds the base
// repository in (every pull request), is a new answer, never a 304.
func (e *runEnv) moveBase(t *testing.T) {
	t.Helper()
	n := strconv.Itoa(len(e.gh.Branches()) + e.gh.Requests())
	body := "# unrelated change " + n + "\n"
	if _, err := e.gh.Commit("master", "unrelated: "+n, map[string]*string{"doc/unrelated-" + n + ".md": &body}); err != nil {
		t.Fatal(err)
	}
}

// idle runs a cycle after master moved and checks it spent no rate-limit
// points: every request it made was a GET answered 304 (GitHub does not
// count those, "Best practices for using the REST API"), and it wrote
// nothing. It returns the number of requests.
func (e *runEnv) idle(t *testing.T, what string) int {
	t.Helper()
	e.moveBase(t)
	e.gh.ResetStats()
	out := e.cycle(t, false)
	st := e.gh.Stats()
	if m := e.gh.Mutations(); len(m) != 0 {
		t.Errorf("%s: %d writes: %v\n%s", what, len(m), m, out)
	}
	if p := e.gh.PointsSpent(); p != 0 || st.NotModified != st.Requests {
		t.Errorf("%s: %d requests, %d answered 304, %d rate-limit points (want 0):\n%s", what, st.Requests, st.NotModified, p, requestsLog(e.gh))
	} else {
		t.Logf("%s: %d requests, all 304, 0 points", what, st.Requests)
	}
	return st.Requests
}

// TestIdleCycleCostsNoRateLimit: with the conditional-request cache in
// the state database, a markbot run with nothing to change spends 0
// rate-limit points, though master moved since the last run: with marking
// PRs open (their branches and issues are read, each answered 304), and
// after they merged (no marker is due for a read of its file).
func TestIdleCycleCostsNoRateLimit(t *testing.T) {
	e := newRunEnv(t)
	e.cycle(t, false)
	if len(e.gh.PullRequests()) != 3 {
		t.Fatalf("%d PRs, want the demo's 3", len(e.gh.PullRequests()))
	}
	// The first idle run reads the open PRs' issues for the first time.
	e.cycle(t, false)
	if e.idle(t, "run with PRs open") == 0 {
		t.Fatal("an idle run with PRs open asked GitHub nothing: the measure measures nothing")
	}
	e.idle(t, "another run with PRs open")

	for _, pr := range e.gh.PullRequests() {
		if _, err := e.gh.MergePullRequest(pr.Number, "alice-nix", "merge"); err != nil {
			t.Fatal(err)
		}
	}
	e.gh.ResetStats()
	e.cycle(t, false) // records the merges; the revert loop reads the marked files
	if c := e.gh.RequestCount("GET /repos/{owner}/{repo}/contents/{path...}"); c == 0 {
		t.Fatalf("the revert loop read no file after the merges:\n%s", requestsLog(e.gh))
	}
	e.idle(t, "run after the merges")
}

// TestPRWriteCost: a marking PR of F files costs at most F+5 writes (in
// fact 6 whatever F: the files go inline into one tree), and the run that
// opens them spends one point per request it does not answer from the
// cache.
func TestPRWriteCost(t *testing.T) {
	e := newRunEnv(t)
	e.gh.ResetStats()
	e.cycle(t, false)
	// Split the writes into batches: each starts with its tree.
	var batches [][]githubtest.Call
	for _, m := range e.gh.Mutations() {
		if m.Endpoint == "POST /repos/{owner}/{repo}/git/trees" {
			batches = append(batches, nil)
		}
		if len(batches) == 0 {
			t.Fatalf("a write before the first tree: %v", m)
		}
		batches[len(batches)-1] = append(batches[len(batches)-1], m)
	}
	prs := e.gh.PullRequests()
	if len(batches) != len(prs) {
		t.Fatalf("%d batches of writes for %d PRs", len(batches), len(prs))
	}
	for i, pr := range prs {
		out, err := exec.Command("git", "-C", e.gh.RepoPath(), "diff", "--name-only", pr.BaseRef+"..."+pr.HeadSHA).Output()
		if err != nil {
			t.Fatal(err)
		}
		files := len(strings.Fields(string(out)))
		writes := len(batches[i])
		if files == 0 || writes > files+5 {
			t.Errorf("#%d (%d files): %d writes, want at most %d: %v", pr.Number, files, writes, files+5, batches[i])
		}
		t.Logf("#%d: %d files, %d writes", pr.Number, files, writes)
	}
	st := e.gh.Stats()
	t.Logf("first run: %d requests, %d points, %d answered 304", st.Requests, e.gh.PointsSpent(), st.NotModified)
}

// newAppRunEnv is newRunEnv with the fake's App authentication and the
// App's credentials in the configuration instead of a token.
func newAppRunEnv(t *testing.T) *runEnv {
	t.Helper()
	hsrv := httptest.NewServer(frontEnd(hydratest.New(runScenario(t))))
	t.Cleanup(hsrv.Close)
	appCfg, pemBytes, err := githubtest.TestApp()
	if err != nil {
		t.Fatal(err)
	}
	var users []githubtest.User
	for i, login := range []string{"alice-nix", "bob-builds", "carol-dev", "dave-go", "erin-rs", "frank-py", "grace-snake", "heidi-fonts", "ivan-sys"} {
		users = append(users, githubtest.User{Login: login, ID: int64(10001 + i), Collaborator: true})
	}
	users = append(users, githubtest.User{Login: "stv0g", ID: 285829, Collaborator: true})
	gh := githubtest.New(t, githubtest.Options{App: appCfg, SeedDir: filepath.Join(examples, "nixpkgs"), Users: users})
	dir := t.TempDir()
	source, _ := filepath.Abs(filepath.Join(examples, "packages.json"))
	path := writeFile(t, dir, "markbot.yaml", fmt.Sprintf(`version: 1
hydra:
  url: %s
  evaluations: 4
github:
  api_url: %s
  repository: NixOS/nixpkgs
  bot_login: markbot[bot]
  app_id: %d
  installation_id: %d
  private_key_file: %s
packages:
  source: %s
state:
  path: %s
`, hsrv.URL, gh.URL(), appCfg.ID, appCfg.InstallationID, writeFile(t, dir, "app.pem", string(pemBytes)),
		source, filepath.Join(dir, "state", "markbot.db")))
	return &runEnv{gh: gh, config: path, state: filepath.Join(dir, "state")}
}

// TestIdleCycleUnderApp measures the limit GitHub sets under an App for
// markbot run (the scheduled workflow): its ETags are specific to the
// token (GitHub Support, eclipse-csi/otterdog#201), and each run works
// with a new installation token, so an idle run pays one point for each
// read: markbot's branches and each open PR's issue, 1 + B (B open PRs),
// read once a run (the revert side takes the marking side's reading).
// markbot serve's cycles pay nothing (TestIdleServeCycleUnderApp).
func TestIdleCycleUnderApp(t *testing.T) {
	e := newAppRunEnv(t)
	e.cycle(t, false)
	if len(e.gh.PullRequests()) != 3 {
		t.Fatalf("%d PRs, want the demo's 3", len(e.gh.PullRequests()))
	}
	e.cycle(t, false)
	e.moveBase(t)
	e.gh.ResetStats()
	e.cycle(t, false)
	st, points := e.gh.Stats(), e.gh.PointsSpent()
	const tokenRoute = "POST /app/installations/{id}/access_tokens"
	for _, m := range e.gh.Mutations() {
		if m.Endpoint != tokenRoute {
			t.Errorf("idle run wrote: %v", m)
		}
	}
	// The new installation token is a request of its own (JWT-authenticated,
	// counted by the fake as any other).
	token := e.gh.RequestCount(tokenRoute)
	reads := st.Requests - token
	want := 1 + len(e.gh.PullRequests())
	if token != 1 || reads != want || points != token+reads || st.NotModified != 0 {
		t.Errorf("idle run under the App: %d requests (%d token), %d answered 304, %d points; want one token and %d reads, each paid:\n%s",
			st.Requests, token, st.NotModified, points, want, requestsLog(e.gh))
	}
	t.Logf("idle run under the App: %d reads, %d points (+%d for the token)", reads, points-token, token)
}
