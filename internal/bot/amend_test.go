package bot

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

var amendLinux = []string{"x86_64-linux", "aarch64-linux"}

// amendBuilds are master builds at ts: status per attribute and system.
func amendBuilds(first, ts int64, status map[string]map[string]int) []*hydratest.Build {
	var out []*hydratest.Build
	id := first
	attrs := make([]string, 0, len(status))
	for a := range status {
		attrs = append(attrs, a)
	}
	slices.Sort(attrs)
	for _, a := range attrs {
		systems := make([]string, 0, len(status[a]))
		for s := range status[a] {
			systems = append(systems, s)
		}
		slices.Sort(systems)
		for _, s := range systems {
			id++
			out = append(out, hydratest.B(id, a+"."+s, s, status[a][s], fmt.Sprintf("%032x-%s", id, a), ts, ts+60))
		}
	}
	return out
}

func amendOn(status int, systems ...string) map[string]int {
	m := map[string]int{}
	for _, s := range systems {
		m[s] = status
	}
	return m
}

// TestCycleDropsPackagesGreenOnMaster: the cycle's newest master
// evaluation shows a package of an open mark PR green on every system it
// was built on: the cycle takes it out of the PR (branch, body, state),
// with no request to Hydra beyond the cycle's own. An evaluation older than
// the markers, a package failing on one system, and one built on none of
// its marker's systems change nothing.
func TestCycleDropsPackagesGreenOnMaster(t *testing.T) {
	githubtest.RequireGit(t)
	ctx := context.Background()
	var users []githubtest.User
	for i, login := range []string{"alice-nix", "bob-builds", "carol-dev"} {
		users = append(users, githubtest.User{Login: login, ID: int64(10001 + i), Collaborator: true})
	}
	gh := githubtest.New(t, githubtest.Options{SeedDir: filepath.Join("../../examples", "nixpkgs"), Users: users})
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "markbot.db"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := logrus.New()
	log.SetOutput(&bytes.Buffer{})
	pub, err := prs.New(prs.FromGitHub(gh.Client()), st, prs.Options{Owner: gh.Owner(), Repo: gh.Repo(), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := nixpkgs.Load(ctx, "../../examples/packages.json", nixpkgs.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	change := func(attr string, systems []string) prs.Change {
		p, _ := idx.Lookup(attr)
		return prs.Change{Kind: prs.KindMark, File: p.File, Line: p.Line, Attrs: []string{attr}, Systems: systems,
			BuildID: 300000001, BuildURL: "https://hydra.nixos.org/build/300000001",
			Since: time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC), Maintainers: p.Maintainers}
	}
	if _, err := pub.Publish(ctx, []prs.Change{change("cmatrix", nil), change("figlet", nil),
		change("pv", []string{"x86_64-darwin", "aarch64-darwin"})}); err != nil {
		t.Fatal(err)
	}
	prOf := map[string]int{}
	for _, a := range []string{"cmatrix", "figlet", "pv"} {
		m, _, _ := st.LiveMarker(ctx, a)
		prOf[a] = m.PR
	}
	if prOf["cmatrix"] != prOf["figlet"] || prOf["pv"] == prOf["cmatrix"] {
		t.Fatalf("PRs %v", prOf)
	}

	master := hydratest.NewStatic("nixpkgs", "trunk")
	var hydraRequests atomic.Int32
	fake := hydratest.New(master)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hydraRequests.Add(1)
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	hc, err := hydra.New(hydra.Options{BaseURL: srv.URL, Rate: 1000, Burst: 10, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	cache, err := hydra.OpenCache(t.TempDir(), hc.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]map[string]int{
		"cmatrix": amendOn(0, amendLinux...),
		"figlet":  {"x86_64-linux": 0, "aarch64-linux": 1},
		"pv":      amendOn(0, amendLinux...), // marked for darwin only, not built there
	}
	index := func(context.Context, *hydra.EvalRecords) (Index, error) { return idx, nil }
	cycle := func() *Summary {
		t.Helper()
		sum, err := Cycle(ctx, hc, index, pub, Options{Project: "nixpkgs", Jobset: "trunk", Evaluations: 1,
			Policy: failures.DefaultPolicy(), Cache: cache, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}

	// An evaluation from before the markers: it says nothing about them.
	master.AddEval(700001, time.Now().Add(-time.Hour).Unix(), amendBuilds(70000100, time.Now().Add(-time.Hour).Unix(), status)...)
	if sum := cycle(); sum.Amend == nil || sum.Amend.Eval != 700001 || len(sum.Amend.Green) != 0 || len(sum.Amend.Drops) != 0 {
		t.Fatalf("old evaluation: %+v", sum.Amend)
	}

	gh.ResetStats()
	ts := time.Now().Add(time.Minute).Unix()
	master.AddEval(700002, ts, amendBuilds(70000200, ts, status)...)
	hydraRequests.Store(0)
	sum := cycle()
	perCycle := hydraRequests.Load()
	a := sum.Amend
	if a == nil || a.Err != nil || len(a.Green) != 1 || a.Green[0].Marker.Attr != "cmatrix" || len(a.Drops) != 1 {
		t.Fatalf("amend %+v", a)
	}
	d := a.Drops[0]
	wantReason := "builds again on Hydra: " + hc.BuildURL(a.Green[0].Build)
	if d.PR != prOf["cmatrix"] || len(d.Dropped()) != 1 || d.Dropped()[0].Attr != "cmatrix" || d.Dropped()[0].Reason != wantReason ||
		!slices.Equal(d.Remaining, []string{"figlet"}) || d.BranchUpdate != prs.BranchRewritten {
		t.Fatalf("drop %+v", d)
	}
	if a.Green[0].Build/100 != 700002 {
		t.Errorf("evidence build %d is not of the new evaluation", a.Green[0].Build)
	}
	pr, _ := gh.PullRequest(prOf["cmatrix"])
	onBranch, _ := gh.File(pr.HeadSHA, "pkgs/by-name/cm/cmatrix/package.nix")
	onMaster, _ := gh.File("master", "pkgs/by-name/cm/cmatrix/package.nix")
	figlet, _ := gh.File(pr.HeadSHA, "pkgs/by-name/fi/figlet/package.nix")
	if !bytes.Equal(onBranch, onMaster) || !bytes.Contains(figlet, []byte("# markbot: broken")) {
		t.Error("the branch still marks cmatrix, or lost figlet's marker")
	}
	if pr.Title != "figlet: mark broken" || !strings.Contains(pr.Body, "- `cmatrix`: "+wantReason) {
		t.Errorf("PR %q:\n%s", pr.Title, pr.Body)
	}
	if m, _ := st.Markers(ctx, state.Dropped); len(m) != 1 || m[0].Attr != "cmatrix" {
		t.Errorf("dropped markers %+v", m)
	}
	if s, _ := st.ActiveSkips(ctx, time.Now()); len(s) != 0 {
		t.Errorf("skips %+v: a package green again is not held back", s)
	}
	var out bytes.Buffer
	if err := a.WriteSummary(&out); err != nil || !strings.Contains(out.String(), "drop cmatrix from #"+fmt.Sprint(d.PR)+": "+wantReason) {
		t.Errorf("summary %q, %v", out.String(), err)
	}

	// The next cycle over the same evaluation: nothing more, and the same
	// Hydra requests as a cycle that drops nothing.
	gh.ResetStats()
	hydraRequests.Store(0)
	if sum := cycle(); len(sum.Amend.Green) != 0 || len(gh.Mutations()) != 0 {
		t.Errorf("again: %+v, mutations %v", sum.Amend, gh.Mutations())
	}
	if n := hydraRequests.Load(); n > perCycle {
		t.Errorf("a cycle that drops nothing made %d Hydra requests, one that dropped %d", n, perCycle)
	}
}

// notAmender is a Publisher that cannot drop.
type notAmender struct{ Publisher }

func TestAmendWithoutAmender(t *testing.T) {
	if s := Amend(context.Background(), &hydra.EvalRecords{Eval: 1}, notAmender{}, func(int64) string { return "" }, nil); s != nil {
		t.Errorf("summary %+v", s)
	}
}

func TestGreenMarkers(t *testing.T) {
	created := time.Unix(1000, 0)
	m := func(attr string, systems ...string) state.Marker {
		return state.Marker{ID: 1, Attr: attr, Attrs: []string{attr}, Systems: systems, State: state.Proposed, PR: 3, Created: created}
	}
	shared := state.Marker{ID: 2, Attr: "py312.x", Attrs: []string{"py312.x", "py313.x"}, State: state.Proposed, PR: 3, Created: created}
	rec := func(attr, system string, status hydra.Status, build int64) hydra.Record {
		return hydra.Record{Job: attr + "." + system, System: system, Status: status, Build: build}
	}
	for _, tt := range []struct {
		name   string
		marker state.Marker
		ts     int64
		recs   []hydra.Record
		build  int64 // 0: not green
	}{
		{"green everywhere built", m("a"), 2000, []hydra.Record{rec("a", "x86_64-linux", 0, 11), rec("a", "aarch64-linux", 0, 12)}, 12},
		{"failing on one system", m("a"), 2000, []hydra.Record{rec("a", "x86_64-linux", 0, 11), rec("a", "aarch64-linux", 1, 12)}, 0},
		{"dependency failed is not green", m("a"), 2000, []hydra.Record{rec("a", "x86_64-linux", hydra.Status(2), 11)}, 0},
		{"older evaluation", m("a"), 500, []hydra.Record{rec("a", "x86_64-linux", 0, 11)}, 0},
		{"not built", m("a"), 2000, []hydra.Record{rec("b", "x86_64-linux", 0, 11)}, 0},
		{"marked systems green", m("a", "x86_64-darwin"), 2000, []hydra.Record{rec("a", "x86_64-darwin", 0, 13), rec("a", "x86_64-linux", 1, 11)}, 13},
		{"a marked system not built", m("a", "x86_64-darwin", "aarch64-darwin"), 2000, []hydra.Record{rec("a", "x86_64-darwin", 0, 13)}, 0},
		{"shared: both attributes green", shared, 2000, []hydra.Record{rec("py312.x", "x86_64-linux", 0, 21), rec("py313.x", "x86_64-linux", 0, 22)}, 21},
		{"shared: one attribute failing", shared, 2000, []hydra.Record{rec("py312.x", "x86_64-linux", 0, 21), rec("py313.x", "x86_64-linux", 1, 22)}, 0},
		{"merged markers are the revert loop's", func() state.Marker { x := m("a"); x.State = state.Merged; return x }(), 2000,
			[]hydra.Record{rec("a", "x86_64-linux", 0, 11)}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := GreenMarkers([]state.Marker{tt.marker}, &hydra.EvalRecords{Eval: 9, Timestamp: tt.ts, Records: tt.recs},
				func(id int64) string { return fmt.Sprintf("https://hydra.example/build/%d", id) })
			switch {
			case tt.build == 0 && len(got) != 0:
				t.Errorf("green: %+v", got)
			case tt.build != 0 && (len(got) != 1 || got[0].Build != tt.build || got[0].BuildURL != fmt.Sprintf("https://hydra.example/build/%d", tt.build)):
				t.Errorf("got %+v, want build %d", got, tt.build)
			}
		})
	}
}
