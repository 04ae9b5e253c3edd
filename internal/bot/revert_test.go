package bot

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
	"github.com/nixpkgs-markbot/markbot/internal/nixedit"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

const examples = "../../examples"

var allSystems = []string{"x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"}

const (
	cmatrixFile  = "pkgs/by-name/cm/cmatrix/package.nix"
	figletFile   = "pkgs/by-name/fi/figlet/package.nix"
	slFile       = "pkgs/by-name/sl/sl/package.nix"
	pvFile       = "pkgs/by-name/pv/pv/package.nix"
	requestsFile = "pkgs/development/python-modules/requests/default.nix"
)

type revertEnv struct {
	gh    *githubtest.Server
	st    *state.Store
	pub   *prs.Publisher
	probe *hydratest.Static
	hc    *hydra.Client
	cache *hydra.Cache
	idx   *nixpkgs.Index
	orig  map[string][]byte
	log   *logrus.Logger
}

func newRevertEnv(t *testing.T) *revertEnv {
	t.Helper()
	ctx := context.Background()
	var users []githubtest.User
	for i, login := range []string{"alice-nix", "bob-builds", "carol-dev", "frank-py"} {
		users = append(users, githubtest.User{Login: login, ID: int64(10001 + i), Collaborator: true})
	}
	gh := githubtest.New(t, githubtest.Options{SeedDir: filepath.Join(examples, "nixpkgs"), Users: users})
	t.Cleanup(gh.Close)
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "markbot.db"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := logrus.New()
	log.SetOutput(&bytes.Buffer{})
	pub, err := prs.New(prs.FromGitHub(gh.Client()), st, prs.Options{Owner: gh.Owner(), Repo: gh.Repo(), BotLogin: "markbot[bot]", Log: log})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := nixpkgs.Load(ctx, filepath.Join(examples, "packages.json"), nixpkgs.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := &revertEnv{gh: gh, st: st, pub: pub, probe: hydratest.NewStatic("nixpkgs", "probe"), idx: idx, orig: map[string][]byte{}, log: log}
	for _, f := range []string{cmatrixFile, figletFile, slFile, pvFile, requestsFile} {
		b, err := gh.File("master", f)
		if err != nil {
			t.Fatal(err)
		}
		e.orig[f] = b
	}
	srv := httptest.NewServer(hydratest.HydraNixosOrg(hydratest.New(e.probe), hydratest.FrontEndOptions{Rate: 2000}))
	t.Cleanup(srv.Close)
	e.hc, err = hydra.New(hydra.Options{BaseURL: srv.URL, Rate: 1000, Burst: 10, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	e.cache, err = hydra.OpenCache(t.TempDir(), e.hc.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *revertEnv) change(attrs []string, file string, systems []string) prs.Change {
	p, _ := e.idx.Lookup(attrs[0])
	return prs.Change{Kind: prs.KindMark, File: file, Line: p.Line, Attrs: attrs, Systems: systems,
		BuildID: 300000001, BuildURL: "https://hydra.nixos.org/build/300000001",
		Since: time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC), Maintainers: p.Maintainers}
}

// markAndMerge publishes marks for cmatrix, figlet, sl (one PR), pv and
// requests (shared file, stdenv added: its position moves down a line),
// and merges every PR.
func (e *revertEnv) markAndMerge(t *testing.T) {
	t.Helper()
	res, err := e.pub.Publish(context.Background(), []prs.Change{
		e.change([]string{"cmatrix"}, cmatrixFile, allSystems),
		e.change([]string{"figlet"}, figletFile, allSystems),
		e.change([]string{"sl"}, slFile, allSystems),
		e.change([]string{"pv"}, pvFile, []string{"x86_64-darwin", "aarch64-darwin"}),
		e.change([]string{"python312Packages.requests", "python313Packages.requests"}, requestsFile, []string{"x86_64-linux"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.PRs) != 3 {
		t.Fatalf("%d mark PRs", len(res.PRs))
	}
	for _, pr := range e.gh.PullRequests() {
		if _, err := e.gh.MergePullRequest(pr.Number, "alice-nix", ""); err != nil {
			t.Fatal(err)
		}
	}
}

// probeEval adds a probe evaluation at ts: status per attribute and system
// (attributes left out are not built).
func (e *revertEnv) probeEval(id, ts int64, status map[string]map[string]int) {
	var builds []*hydratest.Build
	b := id * 100
	for _, attr := range slices.Sorted(func(yield func(string) bool) {
		for a := range status {
			if !yield(a) {
				return
			}
		}
	}) {
		for _, sys := range allSystems {
			s, ok := status[attr][sys]
			if !ok {
				continue
			}
			b++
			drv := fmt.Sprintf("%032x-%s", b, strings.ReplaceAll(attr, ".", "-"))
			builds = append(builds, hydratest.B(b, attr+"."+sys, sys, s, drv, ts, ts+300))
		}
	}
	e.probe.AddEval(id, ts, builds...)
}

func on(status int, systems ...string) map[string]int {
	m := map[string]int{}
	for _, s := range systems {
		m[s] = status
	}
	return m
}

func (e *revertEnv) revert(t *testing.T, o RevertOptions) *RevertSummary {
	t.Helper()
	o.Owner, o.Repo = e.gh.Owner(), e.gh.Repo()
	o.ProbeProject, o.ProbeJobset = "nixpkgs", "probe"
	o.Cache, o.Log = e.cache, e.log
	o.Index = func(context.Context) (Index, error) { return e.idx, nil }
	sum, err := Revert(context.Background(), e.hc, e.gh.Client(), e.st, e.pub, o)
	if err != nil {
		t.Fatalf("revert: %v", err)
	}
	return sum
}

func (e *revertEnv) marker(t *testing.T, attr string) state.Marker {
	t.Helper()
	ms, err := e.st.Markers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var found []state.Marker
	for _, m := range ms {
		if m.Attr == attr {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d markers for %s", len(found), attr)
	}
	return found[0]
}

func str(s string) *string { return &s }

func TestRevertEndToEnd(t *testing.T) {
	githubtest.RequireGit(t)
	e := newRevertEnv(t)
	e.markAndMerge(t)

	// Humans on master: figlet's marker edited (the condition changed),
	// sl's marker taken out by hand.
	fig, _ := e.gh.File("master", figletFile)
	edited := strings.Replace(string(fig), "broken = true;", "broken = stdenv.hostPlatform.isDarwin;", 1)
	if edited == string(fig) {
		t.Fatalf("figlet not marked on master:\n%s", fig)
	}
	if _, err := e.gh.Commit("master", "figlet: only broken on darwin", map[string]*string{figletFile: str(edited)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.gh.Commit("master", "sl: fix build", map[string]*string{slFile: str(string(e.orig[slFile]))}); err != nil {
		t.Fatal(err)
	}

	// The probe: cmatrix, figlet and sl build everywhere, requests on
	// x86_64-linux (both attributes), pv still fails on darwin.
	now := time.Now().Unix()
	e.probeEval(900001, now+60, map[string]map[string]int{
		"cmatrix":                    on(0, allSystems...),
		"figlet":                     on(0, allSystems...),
		"sl":                         on(0, allSystems...),
		"pv":                         on(1, "x86_64-darwin", "aarch64-darwin"),
		"python312Packages.requests": on(0, "x86_64-linux"),
		"python313Packages.requests": on(0, "x86_64-linux"),
	})

	sum := e.revert(t, RevertOptions{Every: time.Hour})
	var human []string
	for _, n := range sum.HumanOwned {
		human = append(human, n.Attr)
	}
	slices.Sort(human)
	if !slices.Equal(human, []string{"figlet", "sl"}) {
		t.Errorf("human-owned %v, want figlet sl", sum.HumanOwned)
	}
	if sum.Checked != 5 || sum.ProbeEval != 900001 {
		t.Errorf("checked %d, probe eval %d", sum.Checked, sum.ProbeEval)
	}
	if len(sum.Moved) != 1 || sum.Moved[0].Attr != "python312Packages.requests" || sum.Moved[0].Reason != "line 61 → 62" {
		t.Errorf("moved %v, want requests 61 → 62 (stdenv added to the formals)", sum.Moved)
	}
	if len(sum.Failing) != 1 || sum.Failing[0].Attr != "pv" || !strings.Contains(sum.Failing[0].Reason, "still failing") {
		t.Errorf("failing %v, want pv", sum.Failing)
	}
	var green []string
	for _, c := range sum.Changes {
		green = append(green, c.Attr())
		if c.Kind != prs.KindUnmark || c.BuildURL != e.hc.BuildURL(c.BuildID) || c.BuildID/100 != 900001 {
			t.Errorf("%s: kind %s, evidence %s", c.Attr(), c.Kind, c.BuildURL)
		}
	}
	if !slices.Equal(green, []string{"cmatrix", "python312Packages.requests"}) {
		t.Errorf("unmark changes %v", green)
	}

	// The revert PRs restore the original files byte for byte.
	var unmarks []githubtest.PullRequest
	for _, pr := range e.gh.PullRequests() {
		if strings.Contains(pr.Title, "unmark") {
			unmarks = append(unmarks, pr)
		}
	}
	if len(unmarks) != 2 {
		t.Fatalf("%d unmark PRs, want 2 (cmatrix's and requests' maintainers)", len(unmarks))
	}
	restored := map[string]bool{}
	for _, pr := range unmarks {
		if pr.State != "open" || !strings.Contains(pr.Body, "/build/900001") {
			t.Errorf("#%d %s: state %s, body lacks the green build:\n%s", pr.Number, pr.Title, pr.State, pr.Body)
		}
		for _, f := range []string{cmatrixFile, requestsFile, pvFile, figletFile, slFile} {
			got, err := e.gh.File(pr.HeadSHA, f)
			if err != nil {
				t.Fatal(err)
			}
			master, _ := e.gh.File("master", f)
			if bytes.Equal(got, master) {
				continue // not touched by this PR
			}
			if !bytes.Equal(got, e.orig[f]) {
				t.Errorf("#%d: %s is not the original:\n%s", pr.Number, f, got)
			}
			restored[f] = true
		}
	}
	if !restored[cmatrixFile] || !restored[requestsFile] || len(restored) != 2 {
		t.Errorf("restored %v, want cmatrix and requests only", restored)
	}

	// State: reverting with the PR, human-owned let go with an event,
	// pv still merged.
	ctx := context.Background()
	for attr, want := range map[string]state.MarkerState{"cmatrix": state.Reverting, "python312Packages.requests": state.Reverting,
		"figlet": state.HumanOwned, "sl": state.HumanOwned, "pv": state.Merged} {
		m := e.marker(t, attr)
		if m.State != want {
			t.Errorf("%s: %s, want %s", attr, m.State, want)
		}
		if want == state.Reverting && m.RevertPR == 0 {
			t.Errorf("%s: no revert PR recorded", attr)
		}
		if want == state.HumanOwned {
			ev, err := e.st.Events(ctx, state.EventFilter{Attr: attr, Kind: "marker.human-owned"})
			if err != nil || len(ev) != 1 || !strings.Contains(ev[0].Message, "human") {
				t.Errorf("%s: events %v %v", attr, ev, err)
			}
		}
	}
	if m := e.marker(t, "python312Packages.requests"); m.Line != 62 {
		t.Errorf("requests marker at line %d, want 62", m.Line)
	}

	// Within Every: not due; nothing asked or written.
	e.gh.ResetStats()
	if sum := e.revert(t, RevertOptions{Every: time.Hour}); !sum.NotDue {
		t.Errorf("second revert within the hour ran: %+v", sum)
	}
	// Due again: the markers are reverting (their PRs open): not probed
	// again, nothing written.
	sum = e.revert(t, RevertOptions{})
	if len(sum.Changes) != 0 || sum.Publish != nil || len(e.gh.PullRequests()) != 5 {
		t.Errorf("second probe: changes %v, %d PRs", sum.Changes, len(e.gh.PullRequests()))
	}
	if m := e.gh.Mutations(); len(m) != 0 {
		t.Errorf("second probe wrote to GitHub: %v", m)
	}

	// The revert PRs merged: the markers are reverted.
	for _, pr := range unmarks {
		if _, err := e.gh.MergePullRequest(pr.Number, "alice-nix", ""); err != nil {
			t.Fatal(err)
		}
	}
	e.revert(t, RevertOptions{})
	for _, attr := range []string{"cmatrix", "python312Packages.requests"} {
		if m := e.marker(t, attr); m.State != state.Reverted {
			t.Errorf("%s: %s after the unmark PR merged", attr, m.State)
		}
	}
	for _, f := range []string{cmatrixFile, requestsFile} {
		if got, _ := e.gh.File("master", f); !bytes.Equal(got, e.orig[f]) {
			t.Errorf("%s on master is not the original after the revert", f)
		}
	}
}

func TestRevertProbeOlderThanMarkerAndNoProbe(t *testing.T) {
	githubtest.RequireGit(t)
	e := newRevertEnv(t)
	e.markAndMerge(t)
	// Without a probe jobset only the fate is read.
	o := RevertOptions{Owner: e.gh.Owner(), Repo: e.gh.Repo(), Cache: e.cache, Log: e.log}
	sum, err := Revert(context.Background(), e.hc, e.gh.Client(), e.st, e.pub, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Checked != 5 || sum.ProbeEval != 0 || len(sum.Changes) != 0 || len(sum.HumanOwned) != 0 {
		t.Errorf("no probe: %+v", sum)
	}
	// Each file is read again only once probe.every has passed.
	o.Every = time.Hour
	e.gh.ResetStats()
	if sum, err = Revert(context.Background(), e.hc, e.gh.Client(), e.st, e.pub, o); err != nil || sum.Checked != 0 || e.gh.Requests() != 0 {
		t.Errorf("no probe, within probe.every: checked %d, %d requests, %v", sum.Checked, e.gh.Requests(), err)
	}
	o.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if sum, err = Revert(context.Background(), e.hc, e.gh.Client(), e.st, e.pub, o); err != nil || sum.Checked != 5 || sum.Markers != 5 {
		t.Errorf("no probe, after probe.every: checked %d of %d, %v", sum.Checked, sum.Markers, err)
	}
	// A green probe from before the markers says nothing.
	e.probeEval(900001, time.Now().Add(-24*time.Hour).Unix(), map[string]map[string]int{"cmatrix": on(0, allSystems...)})
	sum = e.revert(t, RevertOptions{})
	if len(sum.Changes) != 0 || len(sum.Failing) != 5 {
		t.Errorf("old probe: changes %v, failing %v", sum.Changes, sum.Failing)
	}
	for _, n := range sum.Failing {
		if n.Attr == "cmatrix" && !strings.Contains(n.Reason, "older than the marker") {
			t.Errorf("cmatrix: %s", n.Reason)
		}
	}
	if len(e.gh.PullRequests()) != 3 {
		t.Errorf("PRs opened from an old probe")
	}
}

func TestDecideProbe(t *testing.T) {
	created := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	mk := func(attr string, systems ...string) state.Marker {
		return state.Marker{ID: 1, Attr: attr, Attrs: []string{attr}, File: "f.nix", Line: 3, Systems: systems, Created: created,
			BuildID: 99, BuildURL: url(99)}
	}
	shared := state.Marker{ID: 1, Attr: "p312.r", Attrs: []string{"p312.r", "p313.r"}, File: "r.nix", Line: 9, Systems: []string{"x86_64-linux"}, Created: created,
		BuildID: 99, BuildURL: url(99)}
	hyd := func(attr, sys string, ok bool, build int64) state.Probe {
		return state.Probe{Marker: 1, Attr: attr, System: sys, Source: state.ProbeHydra, OK: ok, Build: build, URL: url(build), At: created.Add(time.Hour)}
	}
	loc := func(attr, sys string, ok bool) state.Probe {
		return state.Probe{Marker: 1, Attr: attr, System: sys, Source: state.ProbeLocal, OK: ok, Log: "/l", At: created.Add(2 * time.Hour)}
	}
	const lx, al, dw = "x86_64-linux", "aarch64-linux", "aarch64-darwin"
	shared2 := shared
	shared2.Systems = []string{lx, al}
	noBuild := mk("a", lx, al)
	noBuild.BuildID, noBuild.BuildURL = 0, ""
	for _, tc := range []struct {
		name        string
		marker      state.Marker
		probes      []state.Probe
		systems     []string
		change      bool
		evidence    int64    // green Hydra build; -1: the local build
		narrow      []string // systems the narrowed marker keeps
		narrowBuild int64    // the failing build it names
		reason      string   // the note (partial, failing)
	}{
		{"green on every marked system", mk("a", lx, al), []state.Probe{hyd("a", lx, true, 1), hyd("a", al, true, 2)}, nil, true, 1, nil, 0, ""},
		{"green on some systems: narrowed to the red one", mk("a", lx, al), []state.Probe{hyd("a", lx, true, 1), hyd("a", al, false, 2)}, nil,
			true, 1, []string{al}, 2, "green on x86_64-linux only; still failing on aarch64-linux; narrowing the marker to aarch64-linux"},
		{"not built on one system: kept there, naming the marker's build", mk("a", lx, al), []state.Probe{hyd("a", lx, true, 1)}, nil,
			true, 1, []string{al}, 99, "not built by any probe on aarch64-linux"},
		{"failing", mk("a", lx), []state.Probe{hyd("a", lx, false, 1)}, nil, false, 0, nil, 0, "still failing in the probe on x86_64-linux"},
		{"no result", mk("a", lx), nil, nil, false, 0, nil, 0, "not built by probe evaluation 7"},
		{"shared: every attribute green", shared, []state.Probe{hyd("p312.r", lx, true, 5), hyd("p313.r", lx, true, 6)}, nil, true, 5, nil, 0, ""},
		{"shared: one attribute red", shared, []state.Probe{hyd("p312.r", lx, true, 5), hyd("p313.r", lx, false, 6)}, nil, false, 0, nil, 0, "still failing"},
		{"shared: evidence from a green system only", shared2,
			[]state.Probe{hyd("p312.r", al, true, 7), hyd("p313.r", al, false, 8), hyd("p312.r", lx, true, 5), hyd("p313.r", lx, true, 6)}, nil,
			true, 5, []string{al}, 8, "narrowing the marker to aarch64-linux"},
		{"all systems: the ones asked for", mk("a"), []state.Probe{hyd("a", lx, true, 1)}, []string{lx, al}, true, 1, []string{al}, 99, "green on x86_64-linux only"},
		{"all systems: the ones probed", mk("a"), []state.Probe{hyd("a", lx, true, 1), hyd("a", al, true, 2)}, nil, true, 2, nil, 0, ""},
		{"local build green", mk("a", lx), []state.Probe{loc("a", lx, true)}, nil, true, -1, nil, 0, ""},
		{"local green, Hydra red elsewhere", mk("a", lx, al), []state.Probe{loc("a", lx, true), hyd("a", al, false, 4)}, nil, true, -1, []string{al}, 4, "still failing on aarch64-linux"},
		{"Hydra evidence preferred over local", mk("a", lx, dw), []state.Probe{loc("a", lx, true), hyd("a", dw, true, 9)}, nil, true, 9, nil, 0, ""},
		{"local red", mk("a", lx), []state.Probe{loc("a", lx, false)}, nil, false, 0, nil, 0, "still failing"},
		{"no failing build to name: not narrowed", noBuild, []state.Probe{loc("a", lx, true)}, nil, false, 0, nil, 0, "not narrowed: no failing build"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, note, green := decideProbe(tc.marker, tc.probes, tc.systems, "not built by probe evaluation 7")
			if (c != nil) != tc.change {
				t.Fatalf("change %+v note %v green %v", c, note, green)
			}
			if partial := tc.narrow != nil || strings.Contains(tc.reason, "narrowed"); green != (tc.change || partial) {
				t.Errorf("green = %v", green)
			}
			if tc.reason != "" && (!strings.Contains(note.Reason, tc.reason) || note.Attr != tc.marker.Attr) {
				t.Errorf("note %v, want %q", note, tc.reason)
			}
			if c == nil {
				return
			}
			if c.Kind != prs.KindUnmark || c.File != tc.marker.File || c.Line != tc.marker.Line ||
				!slices.Equal(c.Attrs, tc.marker.Attrs) || !slices.Equal(c.Systems, tc.marker.Systems) {
				t.Errorf("change %+v", c)
			}
			switch {
			case tc.evidence == -1 && (c.Local == nil || c.Local.System != lx || c.BuildURL != ""):
				t.Errorf("local evidence: %+v", c)
			case tc.evidence > 0 && (c.BuildID != tc.evidence || c.BuildURL != url(tc.evidence) || c.Local != nil):
				t.Errorf("Hydra evidence: %+v", c)
			}
			switch n := c.Narrow; {
			case tc.narrow == nil && n != nil:
				t.Errorf("narrowed: %+v", n)
			case tc.narrow != nil && (n == nil || !slices.Equal(n.Systems, tc.narrow) || n.BuildID != tc.narrowBuild || n.BuildURL != url(tc.narrowBuild)):
				t.Errorf("narrowing %+v, want %v naming %d", n, tc.narrow, tc.narrowBuild)
			}
		})
	}
}

func TestDueReason(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	m := state.Marker{ID: 1, Attr: "a", Attrs: []string{"a"}}
	p := func(sys, drv string, ago time.Duration) state.Probe {
		return state.Probe{Attr: "a", System: sys, Drv: drv, At: now.Add(-ago)}
	}
	day := 24 * time.Hour
	cur := map[probeKey]string{{"a", "x86_64-linux"}: "new", {"a", "aarch64-linux"}: "same"}
	for _, tc := range []struct {
		name      string
		latest    []state.Probe
		requested time.Time
		every     time.Duration
		want      string
	}{
		{"never probed", nil, time.Time{}, 7 * day, "never probed"},
		{"recent, same derivation", []state.Probe{p("aarch64-linux", "same", day)}, time.Time{}, 7 * day, ""},
		{"derivation changed", []state.Probe{p("aarch64-linux", "same", day), p("x86_64-linux", "old", day)}, time.Time{}, 7 * day, "derivation of a on x86_64-linux changed"},
		{"derivation unknown then", []state.Probe{p("x86_64-linux", "", day)}, time.Time{}, 7 * day, ""},
		{"system gone from the jobset", []state.Probe{p("x86_64-darwin", "gone", day)}, time.Time{}, 7 * day, ""},
		{"old enough", []state.Probe{p("aarch64-linux", "same", 8*day)}, time.Time{}, 7 * day, "last probed 192h0m0s ago"},
		{"every call", []state.Probe{p("aarch64-linux", "same", time.Minute)}, time.Time{}, 0, "last probed 1m0s ago"},
		{"recheck after the probe", []state.Probe{p("aarch64-linux", "same", day)}, now.Add(-time.Hour), 7 * day, "recheck"},
		{"recheck before the probe", []state.Probe{p("aarch64-linux", "same", day)}, now.Add(-2 * day), 7 * day, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := dueReason(m, tc.latest, cur, tc.requested, now, tc.every)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("dueReason = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFindMarker(t *testing.T) {
	const file = "pkgs/by-name/x/x/package.nix"
	orig := `{ lib, stdenv }:

stdenv.mkDerivation {
  pname = "x";
  version = "1";
  meta = {
    description = "X";
  };
}
`
	build := "https://hydra.nixos.org/build/42"
	marked, err := nixedit.Mark(file, []byte(orig), 7, nixedit.Marker{BuildURL: build, Since: "2026-11-01"})
	if err != nil {
		t.Fatal(err)
	}
	m := string(marked)
	const header = "# a comment\n# another\n# and\n# more\n"
	joined := strings.Replace(orig, "{ lib, stdenv }:\n\n", "{ lib, stdenv }:\n", 1)
	for _, tc := range []struct {
		name string
		src  string
		line int
		url  string
		kind fateKind
		// unmarked is what Unmark at the line found must give (tracked).
		unmarked string
	}{
		{"as written", m, 7, build, fateTracked, orig},
		{"lines added above", header + m, 7, build, fateTracked, header + orig},
		{"line removed above", strings.Replace(m, "{ lib, stdenv }:\n\n", "{ lib, stdenv }:\n", 1), 7, build, fateTracked, joined},
		{"edited by a human", strings.Replace(m, "broken = true;", "broken = false;", 1), 7, build, fateHuman, ""},
		{"removed by a human", orig, 7, build, fateHuman, ""},
		{"another build's marker", m, 7, "https://hydra.nixos.org/build/43", fateHuman, ""},
		{"does not parse", m + "{", 7, build, fateUnknown, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := findMarker(state.Marker{Attr: "x", File: file, Line: tc.line, BuildURL: tc.url}, []byte(tc.src))
			if f.kind != tc.kind {
				t.Fatalf("fate %+v, want kind %d", f, tc.kind)
			}
			switch f.kind {
			case fateTracked:
				out, err := nixedit.Unmark(file, []byte(tc.src), f.line)
				if err != nil || string(out) != tc.unmarked {
					t.Errorf("Unmark at line %d: %v\n%s", f.line, err, out)
				}
			default:
				if f.reason == "" {
					t.Errorf("no reason")
				}
			}
		})
	}
}

// TestRevertReadsOnlyDueMarkers: a marker's file is read on the base
// branch only when the marker is due for a probe, so a cycle with nothing
// due makes no GitHub request for its markers; a human's change to a
// marker that is not due is seen once it is (here: a recheck).
func TestRevertReadsOnlyDueMarkers(t *testing.T) {
	githubtest.RequireGit(t)
	e := newRevertEnv(t)
	e.markAndMerge(t)
	now := time.Now().Unix()
	e.probeEval(900001, now+60, map[string]map[string]int{
		"cmatrix": on(1, allSystems...), "figlet": on(1, allSystems...), "sl": on(1, allSystems...),
		"pv": on(1, "x86_64-darwin", "aarch64-darwin"), "python312Packages.requests": on(1, "x86_64-linux"),
	})
	const contents = "GET /repos/{owner}/{repo}/contents/{path...}"
	e.gh.ResetStats()
	sum := e.revert(t, RevertOptions{Every: time.Hour}) // the merges recorded; all never probed: all due
	if sum.Checked != 5 || len(sum.Due) != 5 || e.gh.RequestCount(contents) == 0 {
		t.Fatalf("first probe: checked %d, due %d, %d file reads", sum.Checked, len(sum.Due), e.gh.RequestCount(contents))
	}

	// A human edits figlet's marker; nothing is due within the hour.
	fig, err := e.gh.File("master", figletFile)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(fig), "broken = true;", "broken = stdenv.hostPlatform.isDarwin;", 1)
	if _, err := e.gh.Commit("master", "figlet: only broken on darwin", map[string]*string{figletFile: str(edited)}); err != nil {
		t.Fatal(err)
	}
	e.gh.ResetStats()
	sum = e.revert(t, RevertOptions{Every: time.Hour})
	if !sum.NotDue || sum.Checked != 0 || e.gh.Requests() != 0 {
		t.Errorf("nothing due: not due %v, checked %d, %d GitHub requests: %v", sum.NotDue, sum.Checked, e.gh.Requests(), e.gh.RequestCounts())
	}
	if m := e.marker(t, "figlet"); m.State != state.Merged {
		t.Errorf("figlet %s before it was due", m.State)
	}

	// A recheck of figlet: due, read, and left to the human.
	if _, err := e.st.Log(t.Context(), state.Event{Kind: ProbeRequestedEvent, Attr: "figlet", Message: "recheck"}); err != nil {
		t.Fatal(err)
	}
	sum = e.revert(t, RevertOptions{Every: time.Hour})
	if sum.Checked != 1 || len(sum.HumanOwned) != 1 || sum.HumanOwned[0].Attr != "figlet" {
		t.Errorf("after the recheck: checked %d, human-owned %v", sum.Checked, sum.HumanOwned)
	}
	if m := e.marker(t, "figlet"); m.State != state.HumanOwned {
		t.Errorf("figlet %s after its recheck", m.State)
	}
}
