package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/ghauth"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// TestIdleServeCycleUnderApp: markbot serve's cycles, as the App, with
// nixpkgs' master moving between them. Once a cycle has read markbot's
// pull requests, a cycle with nothing new to write makes no GitHub
// request at all (0 rate-limit points, not even an installation token),
// while the webhooks tell of no change to those PRs; a webhook about one
// (here: it was merged) makes the next cycle read them again and record
// the merge, after which the cycles are idle again.
func TestIdleServeCycleUnderApp(t *testing.T) {
	e := newAppRunEnv(t)
	ctx := context.Background()
	cfg, err := config.Load(e.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Hydra.RequestsPerSecond = 1000
	var logs bytes.Buffer
	log := serverLogger(&logs, false)
	st, err := state.Open(ctx, cfg.State.Path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	gh, fork, err := ghauth.Clients(cfg, newETagWiring(cfg, log).use(st).wrap(nil))
	if err != nil {
		t.Fatal(err)
	}
	o := appOptionsFork(cfg, log, st, gh, fork)
	cycle := func(what string) {
		t.Helper()
		if _, err := o.Cycle(ctx); err != nil {
			t.Fatalf("%s: %v\n%s", what, err, logs.String())
		}
	}
	idle := func(what string) {
		t.Helper()
		e.moveBase(t)
		e.gh.ResetStats()
		cycle(what)
		if n := e.gh.Requests(); n != 0 || e.gh.PointsSpent() != 0 {
			t.Errorf("%s: %d GitHub requests, %d points; want none:\n%s", what, n, e.gh.PointsSpent(), requestsLog(e.gh))
		}
	}

	cycle("first cycle")
	if len(e.gh.PullRequests()) != 3 {
		t.Fatalf("%d PRs, want the demo's 3", len(e.gh.PullRequests()))
	}
	// The first cycle's revert side read markbot's PRs after its marking
	// side wrote them (prs.Views keeps no sync from before a write).
	idle("an idle cycle")
	idle("another idle cycle")

	pr := e.gh.PullRequests()[0]
	if _, err := e.gh.MergePullRequest(pr.Number, "alice-nix", "merge"); err != nil {
		t.Fatal(err)
	}
	o.GitHubChanged() // the pull_request "closed" webhook
	e.gh.ResetStats()
	cycle("the cycle after the merge")
	if e.gh.Requests() == 0 {
		t.Fatal("the cycle after a webhook about a markbot PR read nothing")
	}
	sp, err := st.PR(ctx, pr.Number)
	if err != nil || sp.State != state.PRMerged {
		t.Fatalf("PR #%d after the cycle: %+v, %v; want merged", pr.Number, sp, err)
	}
	idle("an idle cycle after the merge")
}
