package main

import (
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
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

// idle runs a cycle and checks it spent no rate-limit points: every
// request it made was a GET answered 304 (GitHub does not count those,
// "Best practices for using the REST API"), and it wrote nothing.
func (e *runEnv) idle(t *testing.T, what string) {
	t.Helper()
	e.gh.ResetStats()
	out := e.cycle(t, false)
	st := e.gh.Stats()
	if m := e.gh.Mutations(); len(m) != 0 {
		t.Errorf("%s: %d writes: %v\n%s", what, len(m), m, out)
	}
	if st.Requests == 0 {
		t.Fatalf("%s: no GitHub request at all: the measure measures nothing", what)
	}
	if p := e.gh.PointsSpent(); p != 0 || st.NotModified != st.Requests {
		t.Errorf("%s: %d requests, %d answered 304, %d rate-limit points (want 0):\n%s", what, st.Requests, st.NotModified, p, requestsLog(e.gh))
	} else {
		t.Logf("%s: %d requests, all 304, 0 points", what, st.Requests)
	}
}

// TestIdleCycleCostsNoRateLimit: with the conditional-request cache in
// the state database, a markbot run with nothing to change spends 0
// rate-limit points: with marking PRs open, and after they merged (the
// revert loop then reads each marked file every cycle).
func TestIdleCycleCostsNoRateLimit(t *testing.T) {
	e := newRunEnv(t)
	e.cycle(t, false)
	if len(e.gh.PullRequests()) != 3 {
		t.Fatalf("%d PRs, want the demo's 3", len(e.gh.PullRequests()))
	}
	e.idle(t, "second run, PRs open")
	e.idle(t, "third run, PRs open")

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
	if st.NotModified == 0 {
		t.Errorf("the first run re-read nothing from the cache (the revert side's publisher reads what the marking side read)")
	}
}
