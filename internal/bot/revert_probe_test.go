package bot

// Tests of the revert loop's local build probe, of narrowing then
// unmarking, and of an interrupted local build.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/nixedit"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// TestRevertLocalProbe: no Hydra probe, a local builder for x86_64-linux:
// a marker for x86_64-linux only that builds is reverted with the local
// build as evidence; one for every system is partial; a darwin-only one is
// out of the builder's reach. Then scheduling: nothing is due within
// Every, a changed derivation or a recheck makes a marker due again.
func TestRevertLocalProbe(t *testing.T) {
	githubtest.RequireGit(t)
	e := newRevertEnv(t)
	e.markAndMerge(t)
	ctx := context.Background()
	b := scriptBuilder(t)
	b.Command = []string{"/bin/sh", "build.sh", "{attr}", "{system}"}
	// The stand-in script builds every attribute but "bad" and "slow".
	// A job's build id is its derivation's identity (hydra.Record).
	master := &hydra.EvalRecords{Eval: 5, Records: []hydra.Record{
		{Job: "cmatrix.x86_64-linux", System: "x86_64-linux", Build: 501},
		{Job: "python312Packages.requests.x86_64-linux", System: "x86_64-linux", Build: 502},
	}}
	run := func(o RevertOptions) *RevertSummary {
		t.Helper()
		o.Owner, o.Repo, o.Cache, o.Log, o.Local, o.Systems = e.gh.Owner(), e.gh.Repo(), e.cache, e.log, b, allSystems
		o.Index = func(context.Context) (Index, error) { return e.idx, nil }
		if o.Master == nil {
			o.Master = master
		}
		sum, err := Revert(ctx, e.hc, e.gh.Client(), e.st, e.pub, o)
		if err != nil {
			t.Fatalf("revert: %v", err)
		}
		return sum
	}
	sum := run(RevertOptions{Every: 7 * 24 * time.Hour})
	notes := func(ns []RevertNote) string {
		var out []string
		for _, n := range ns {
			out = append(out, n.String())
		}
		return strings.Join(out, "\n")
	}
	// requests (both attributes) and cmatrix, figlet, sl on x86_64-linux;
	// pv (darwin only) is not due: no probe can build it.
	if len(sum.Builds) != 5 || len(sum.Due) != 4 {
		t.Errorf("builds:\n%s\ndue:\n%s", notes(sum.Builds), notes(sum.Due))
	}
	if f := notes(sum.Failing); !strings.Contains(f, "pv: no probe covers its systems") {
		t.Errorf("failing:\n%s", f)
	}
	// requests (marked for x86_64-linux) builds again: unmarked. cmatrix,
	// figlet and sl (marked for all four systems) build on x86_64-linux:
	// narrowed to the other three, still naming the marker's build.
	if len(sum.Changes) != 4 {
		t.Fatalf("changes %+v", sum.Changes)
	}
	for _, c := range sum.Changes {
		if c.Local == nil || c.Local.System != "x86_64-linux" {
			t.Errorf("%s: evidence %+v", c.Attr(), c.Local)
		}
		n := c.Narrow
		switch c.Attr() {
		case "python312Packages.requests":
			if n != nil {
				t.Errorf("requests narrowed: %+v", n)
			}
		default:
			if n == nil || !slices.Equal(n.Systems, allSystems[1:]) || n.BuildURL != "https://hydra.nixos.org/build/300000001" {
				t.Errorf("%s: narrowing %+v", c.Attr(), n)
			}
		}
	}
	if p := notes(sum.Partial); !strings.Contains(p, "cmatrix: green on x86_64-linux only; not built by any probe on aarch64-linux, x86_64-darwin, aarch64-darwin; narrowing the marker to aarch64-linux, x86_64-darwin, aarch64-darwin") {
		t.Errorf("partial:\n%s", p)
	}
	// The unmark PR names the local build; the narrowing PR writes the
	// marker for the three systems left.
	var body string
	var narrowing *githubtest.PullRequest
	for _, pr := range e.gh.PullRequests() {
		switch {
		case strings.Contains(pr.Title, "requests: unmark broken"):
			body = pr.Body
		case strings.Contains(pr.Title, "unmark 3 packages"):
			narrowing = &pr
		}
	}
	if !strings.Contains(body, "local build on `x86_64-linux`") || !strings.Contains(body, "a local build of a nixpkgs checkout") {
		t.Errorf("unmark PR body:\n%s", body)
	}
	if narrowing == nil {
		t.Fatalf("no narrowing PR among %+v", e.gh.PullRequests())
	}
	got, _ := e.gh.File(narrowing.HeadRef, cmatrixFile)
	want, err := nixedit.Mark(cmatrixFile, e.orig[cmatrixFile], sum.Changes[0].Line, nixedit.Marker{Systems: allSystems[1:],
		BuildURL: "https://hydra.nixos.org/build/300000001", Since: "2026-10-26"})
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("cmatrix on the narrowing branch (%v):\n%s", err, got)
	}
	for _, attr := range []string{"cmatrix", "figlet", "sl", "python312Packages.requests"} {
		if m := e.marker(t, attr); m.State != state.Reverting {
			t.Errorf("%s: %s after its local build", attr, m.State)
		}
	}
	// A human closes the narrowing PR: the markers stay as they were.
	if err := e.gh.ClosePullRequest(narrowing.Number, "alice-nix"); err != nil {
		t.Fatal(err)
	}

	// Within Every, same derivations: nothing is due, nothing built.
	sum = run(RevertOptions{Every: 7 * 24 * time.Hour})
	if !sum.NotDue || len(sum.Builds) != 0 {
		t.Errorf("second run: not due %v, builds:\n%s", sum.NotDue, notes(sum.Builds))
	}
	// cmatrix's derivation changed on master: due at once, built again.
	changed := &hydra.EvalRecords{Eval: 6, Records: slices.Clone(master.Records)}
	changed.Records[0].Build = 601
	sum = run(RevertOptions{Every: 7 * 24 * time.Hour, Master: changed})
	if d := notes(sum.Due); len(sum.Due) != 1 || !strings.Contains(d, "cmatrix: the derivation of cmatrix on x86_64-linux changed") || len(sum.Builds) != 1 {
		t.Errorf("after a derivation change: due:\n%s\nbuilds:\n%s", d, notes(sum.Builds))
	}
	if sum = run(RevertOptions{Every: 7 * 24 * time.Hour, Master: changed}); !sum.NotDue {
		t.Errorf("the changed derivation was probed, yet due again: %s", notes(sum.Due))
	}
	// A recheck asked for figlet.
	if _, err := e.st.Log(ctx, state.Event{Kind: ProbeRequestedEvent, Attr: "figlet", Message: "recheck"}); err != nil {
		t.Fatal(err)
	}
	sum = run(RevertOptions{Every: 7 * 24 * time.Hour, Master: changed})
	if d := notes(sum.Due); len(sum.Due) != 1 || !strings.Contains(d, "figlet: a recheck was asked for") {
		t.Errorf("after a recheck: due:\n%s", d)
	}
}

// TestRevertNarrowsThenUnmarks: the Hydra probe shows cmatrix (marked
// everywhere) green on Linux only and pv (marked on Darwin) green on
// aarch64-darwin only. Both markers are narrowed through unmark PRs naming
// the probe's failing builds; merged, the narrowed markers are tracked on
// master by those builds, and once a later probe is green everywhere they
// come out, leaving the original files.
func TestRevertNarrowsThenUnmarks(t *testing.T) {
	githubtest.RequireGit(t)
	e := newRevertEnv(t)
	e.markAndMerge(t)
	now := time.Now().Unix()
	e.probeEval(900001, now+60, map[string]map[string]int{
		"cmatrix": {"x86_64-linux": 0, "aarch64-linux": 0, "x86_64-darwin": 1, "aarch64-darwin": 1},
		"pv":      {"x86_64-darwin": 1, "aarch64-darwin": 0},
	})
	sum := e.revert(t, RevertOptions{})
	if len(sum.Changes) != 2 || len(sum.Partial) != 2 {
		t.Fatalf("changes %+v, partial %v", sum.Changes, sum.Partial)
	}
	failedBuild := map[string]string{}
	for _, c := range sum.Changes {
		if c.Narrow == nil || c.BuildID/100 != 900001 {
			t.Fatalf("%s: %+v", c.Attr(), c)
		}
		failedBuild[c.Attr()] = c.Narrow.BuildURL
	}
	want := map[string][]string{"cmatrix": {"x86_64-darwin", "aarch64-darwin"}, "pv": {"x86_64-darwin"}}
	for attr := range want {
		if m := e.marker(t, attr); m.State != state.Reverting {
			t.Errorf("%s: %s while narrowing", attr, m.State)
		}
		if !strings.Contains(failedBuild[attr], "/build/900001") {
			t.Errorf("%s: the narrowed marker names %s, not the probe's failing build", attr, failedBuild[attr])
		}
	}
	for _, pr := range e.gh.PullRequests() {
		if pr.State == "open" {
			if _, err := e.gh.MergePullRequest(pr.Number, "alice-nix", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Merged: the same markers, narrowed, still tracked on master.
	sum = e.revert(t, RevertOptions{Every: time.Hour})
	for attr, systems := range want {
		m := e.marker(t, attr)
		if m.State != state.Merged || !slices.Equal(m.Systems, systems) || m.BuildURL != failedBuild[attr] {
			t.Errorf("%s after the narrowing merged: %+v", attr, m)
		}
		file := map[string]string{"cmatrix": cmatrixFile, "pv": pvFile}[attr]
		master, _ := e.gh.File("master", file)
		wantFile, err := nixedit.Mark(file, e.orig[file], m.Line, nixedit.Marker{Systems: systems, BuildURL: m.BuildURL, Since: "2026-10-26"})
		if err != nil || !bytes.Equal(master, wantFile) {
			t.Errorf("%s on master after the narrowing (%v):\n%s", file, err, master)
		}
	}
	// Only the due markers' files are read (cmatrix and pv were probed
	// within the hour): 3 of 5.
	if len(sum.HumanOwned) != 0 || len(sum.Unreadable) != 0 || sum.Checked != 3 || len(sum.Due) != 3 || len(sum.Changes) != 0 {
		t.Errorf("after the narrowing merged: %+v", sum)
	}
	for _, n := range sum.Due {
		if n.Attr == "cmatrix" || n.Attr == "pv" {
			t.Errorf("due again within the hour: %s", n)
		}
	}

	// Green everywhere now: unmarked for good.
	e.probeEval(900002, now+120, map[string]map[string]int{
		"cmatrix": on(0, allSystems...),
		"pv":      on(0, "x86_64-darwin", "aarch64-darwin"),
	})
	sum = e.revert(t, RevertOptions{})
	if len(sum.Changes) != 2 || sum.Changes[0].Narrow != nil || sum.Changes[1].Narrow != nil {
		t.Fatalf("changes %+v", sum.Changes)
	}
	for _, pr := range e.gh.PullRequests() {
		if pr.State == "open" {
			if _, err := e.gh.MergePullRequest(pr.Number, "alice-nix", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.revert(t, RevertOptions{})
	for _, attr := range []string{"cmatrix", "pv"} {
		if m := e.marker(t, attr); m.State != state.Reverted {
			t.Errorf("%s: %s", attr, m.State)
		}
	}
	for _, f := range []string{cmatrixFile, pvFile} {
		if got, _ := e.gh.File("master", f); !bytes.Equal(got, e.orig[f]) {
			t.Errorf("%s on master is not the original:\n%s", f, got)
		}
	}
}

// TestRevertLocalBuildInterrupted: a run stopped during a local build
// (here: its context cancelled) leaves the marker "probing"; the next run
// probes it again at once, although the Hydra probe's results of the
// interrupted round are recent, and the marker is "merged" again after.
func TestRevertLocalBuildInterrupted(t *testing.T) {
	githubtest.RequireGit(t)
	e := newRevertEnv(t)
	e.markAndMerge(t)
	// The Hydra probe builds cmatrix on aarch64-linux only (still failing);
	// the local builder does x86_64-linux.
	e.probeEval(900001, time.Now().Unix()+60, map[string]map[string]int{"cmatrix": on(1, "aarch64-linux")})
	b := scriptBuilder(t)
	started := filepath.Join(b.Dir, "started")
	hang := "if [ \"$1\" = cmatrix ]; then : > " + started + "; sleep 30; fi\necho \"error: $1 fails\"; exit 1\n"
	if err := os.WriteFile(filepath.Join(b.Dir, "hang.sh"), []byte(hang), 0o644); err != nil {
		t.Fatal(err)
	}
	b.Command = []string{"/bin/sh", "hang.sh", "{attr}", "{system}"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if _, err := os.Stat(started); err == nil {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	o := RevertOptions{Owner: e.gh.Owner(), Repo: e.gh.Repo(), ProbeProject: "nixpkgs", ProbeJobset: "probe", Cache: e.cache,
		Log: e.log, Local: b, Systems: allSystems, Every: 7 * 24 * time.Hour}
	if _, err := Revert(ctx, e.hc, e.gh.Client(), e.st, e.pub, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted revert: %v", err)
	}
	if m := e.marker(t, "cmatrix"); m.State != state.Probing {
		t.Fatalf("cmatrix after the interrupted build: %s", m.State)
	}

	// The next run: cmatrix is due although Hydra's results are fresh.
	b.Command = []string{"/bin/sh", "build.sh", "{attr}", "{system}"}
	if err := os.WriteFile(filepath.Join(b.Dir, "build.sh"), []byte("echo \"error: $1 fails\"; exit 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := Revert(context.Background(), e.hc, e.gh.Client(), e.st, e.pub, o)
	if err != nil {
		t.Fatal(err)
	}
	var why string
	for _, n := range sum.Due {
		if n.Attr == "cmatrix" {
			why = n.Reason
		}
	}
	if why != "its last local build was interrupted" {
		t.Errorf("cmatrix due: %q; due: %v", why, sum.Due)
	}
	if m := e.marker(t, "cmatrix"); m.State != state.Merged {
		t.Errorf("cmatrix after the next run: %s", m.State)
	}
	latest, _ := e.st.LatestProbes(context.Background(), e.marker(t, "cmatrix").ID)
	var local bool
	for _, p := range latest {
		local = local || (p.Source == state.ProbeLocal && p.System == "x86_64-linux" && !p.OK)
	}
	if !local {
		t.Errorf("no local result for cmatrix on x86_64-linux: %+v", latest)
	}
	// And a run after that: nothing due within Every.
	sum, err = Revert(context.Background(), e.hc, e.gh.Client(), e.st, e.pub, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range sum.Due {
		if n.Attr == "cmatrix" {
			t.Errorf("cmatrix due again: %s", n.Reason)
		}
	}
}
