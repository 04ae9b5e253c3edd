package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/compare"
	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/ghauth"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// evalBuildsRE matches the request that reads an evaluation's builds.
var evalBuildsRE = regexp.MustCompile(`^/eval/\d+/builds$`)

// serveCycle runs one markbot serve cycle as the server does (appOptions'
// Cycle), with the state database opened for it as serve opens it.
func serveCycle(t *testing.T, cfg *config.Config, logs *syncBuffer) error {
	t.Helper()
	ctx := context.Background()
	st, err := state.Open(ctx, cfg.State.Path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	gh, err := ghauth.Client(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = appOptions(cfg, serverLogger(logs, true), st, gh).Cycle(ctx)
	return err
}

func comparePostedEvents(t *testing.T, cfg *config.Config) []comparePosted {
	t.Helper()
	ctx := context.Background()
	st, err := state.Open(ctx, cfg.State.Path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.Events(ctx, state.EventFilter{Kind: ComparePostedEvent})
	if err != nil {
		t.Fatal(err)
	}
	var out []comparePosted
	for _, ev := range evs {
		var p comparePosted
		if err := json.Unmarshal(ev.Details, &p); err != nil {
			t.Fatalf("event details %s: %v", ev.Details, err)
		}
		out = append(out, p)
	}
	return out
}

// TestServeCompare: markbot serve's cycle runs the compare: entries. The
// first cycle posts one comment (and an entry whose head Hydra does not
// know is logged without failing the cycle or the other entry); a second
// cycle, after a restart, with no new head evaluation reads no evaluation
// and writes nothing to GitHub; after a new head evaluation the comment is
// edited, not added.
func TestServeCompare(t *testing.T) {
	e := newCmpEnv(t, true)
	dir := t.TempDir()
	path := writeFile(t, dir, "markbot.yaml", fmt.Sprintf(`version: 1
hydra:
  url: %s
github:
  api_url: %s
  repository: NixOS/nixpkgs
  bot_login: markbot[bot]
packages:
  source: %s
state:
  path: state/markbot.db
compare:
  - base: nixpkgs/unstable
    head: nixpkgs/nope
    post_to: NixOS/nixpkgs#%[4]d
  - base: nixpkgs/unstable
    head: nixpkgs/staging-next
    post_to: NixOS/nixpkgs#%[4]d
`, e.url, e.gh.URL(), e.packages, e.pr))
	cfg, err := config.Load(path) // the token comes from MARKBOT_GITHUB_TOKEN (newCmpEnv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Hydra.RequestsPerSecond = 1000

	// 1. The first cycle posts the report.
	var logs syncBuffer
	if err := serveCycle(t, cfg, &logs); err != nil {
		t.Fatalf("the cycle failed: %v\n%s", err, logs.String())
	}
	cs := e.markbotComments(t)
	if len(cs) != 1 || cs[0].Author != "markbot[bot]" || !strings.Contains(cs[0].Body, "**2 regressions**") {
		t.Fatalf("%d markbot comments after the first cycle\nlogs:\n%s", len(cs), logs.String())
	}
	first := cs[0]
	if got := mutationSummaries(e.gh.Mutations()); len(got) != 1 || !strings.HasPrefix(got[0], "POST ") ||
		!strings.HasSuffix(got[0], fmt.Sprintf("/repos/NixOS/nixpkgs/issues/%d/comments", e.pr)) {
		t.Errorf("first cycle GitHub writes: %v", got)
	}
	var failed map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if entry["msg"] == "compare failed" {
			failed = entry
		}
	}
	if failed == nil || failed["base"] != "nixpkgs/unstable" || failed["head"] != "nixpkgs/nope" ||
		failed["post_to"] != fmt.Sprintf("NixOS/nixpkgs#%d", e.pr) ||
		!strings.Contains(fmt.Sprint(failed["error"]), "nixpkgs/nope: no such jobset on this Hydra") {
		t.Errorf("the failing entry's log line: %v", failed)
	}
	evs := comparePostedEvents(t, cfg)
	if len(evs) != 1 || evs[0].Head != cmpHead || evs[0].HeadEval != 200 || evs[0].BaseEval != 100 ||
		evs[0].Action != string(compare.ActionCreated) {
		t.Errorf("compare.posted events after the first cycle: %+v", evs)
	}
	e.hydra.take()
	e.gh.ResetStats()

	// 2. No new evaluation of head, and markbot restarted: head's newest
	// evaluation is looked up, nothing is read or written.
	logs = syncBuffer{}
	if err := serveCycle(t, cfg, &logs); err != nil {
		t.Fatalf("second cycle: %v", err)
	}
	for _, p := range e.hydra.take() {
		if evalBuildsRE.MatchString(p) {
			t.Errorf("second cycle read an evaluation: %s", p)
		}
	}
	if muts := e.gh.Mutations(); len(muts) != 0 {
		t.Errorf("second cycle wrote to GitHub: %v", mutationSummaries(muts))
	}
	for k := range e.gh.RequestCounts() {
		if strings.Contains(k, "/comments") {
			t.Errorf("second cycle asked GitHub for comments: %s", countsText(e.gh.RequestCounts()))
		}
	}
	if !strings.Contains(logs.String(), "compare failed") {
		t.Error("the failing entry was not tried again")
	}
	if n := len(comparePostedEvents(t, cfg)); n != 1 {
		t.Errorf("%d compare.posted events after the second cycle, want 1", n)
	}
	e.gh.ResetStats()

	// 3. A new head evaluation (newreg regresses too): the comment is edited.
	again := cmpBuilds(20000, 200, "nixpkgs", "staging-next", e.headJobs)
	again[3] = cmpBuilds(21003, 201, "nixpkgs", "staging-next", []cmpJob{{"newreg", "x86_64-linux", 1}})[0]
	e.head.AddEval(201, 1767229000, again...)
	logs = syncBuffer{}
	if err := serveCycle(t, cfg, &logs); err != nil {
		t.Fatalf("third cycle: %v", err)
	}
	cs = e.markbotComments(t)
	if len(cs) != 1 || cs[0].ID != first.ID || !strings.Contains(cs[0].Body, "**3 regressions**") {
		t.Fatalf("third cycle: %d markbot comments (want the first one edited)\nlogs:\n%s", len(cs), logs.String())
	}
	if m, _ := compare.ParseMarker(cs[0].Body); m.HeadEval != 201 {
		t.Errorf("edited comment's marker: %+v", m)
	}
	if got := mutationSummaries(e.gh.Mutations()); len(got) != 1 || !strings.HasPrefix(got[0], "PATCH ") {
		t.Errorf("third cycle GitHub writes: %v", got)
	}
	evs = comparePostedEvents(t, cfg)
	if len(evs) != 2 || evs[0].HeadEval != 201 || evs[0].Action != string(compare.ActionEdited) || evs[0].Comment == "" {
		t.Errorf("compare.posted events after the third cycle: %+v", evs)
	}
	// The full report's and the log tails' directories are beside the
	// state database.
	if !strings.Contains(logs.String(), `"msg":"compare reported"`) {
		t.Errorf("no compare reported log line:\n%s", logs.String())
	}
	stateDir := filepath.Dir(cfg.State.Path)
	if matches, _ := filepath.Glob(filepath.Join(stateDir, "hydra", "*", "logs", "*.log")); len(matches) == 0 {
		t.Errorf("no log tails cached under %s", stateDir)
	}
}

// TestLastCompared: the newest compare.posted event of each entry wins;
// other entries' and unreadable events do not count.
func TestLastCompared(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "markbot.db"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := config.CompareConfig{Base: "nixpkgs/unstable", Head: "nixpkgs/staging-next", PostTo: "NixOS/nixpkgs#1"}
	b := config.CompareConfig{Base: "nixpkgs/unstable", Head: "nixpkgs/staging-next", PostTo: "NixOS/nixpkgs#2"}
	for _, ev := range []struct {
		e    config.CompareConfig
		eval int64
		raw  string
	}{{e: a, eval: 10}, {e: b, eval: 11}, {e: a, eval: 12}, {raw: `{"base": 5}`}} {
		details := []byte(ev.raw)
		if ev.raw == "" {
			details, _ = json.Marshal(comparePosted{Base: ev.e.Base, Head: ev.e.Head, PostTo: ev.e.PostTo, HeadEval: ev.eval})
		}
		if _, err := st.Log(ctx, state.Event{Kind: ComparePostedEvent, Details: details}); err != nil {
			t.Fatal(err)
		}
	}
	last, err := lastCompared(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(last) != 2 || last[a] != 12 || last[b] != 11 {
		t.Errorf("lastCompared = %v", last)
	}
}
