package report

import (
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

const indexJSON = `{"version": 2, "packages": {
 "hello": {"name": "hello-2.12.1", "pname": "hello", "version": "2.12.1", "meta": {
   "maintainers": [{"name": "Alice", "github": "alice", "githubId": 1}, {"name": "No Login", "email": "x@example.org"}],
   "teams": [{"shortName": "GNOME", "github": "gnome", "members": [{"name": "Bob", "github": "bob", "githubId": 2}]}]}},
 "python313Packages.requests": {"name": "python3.13-requests-2.32.3", "meta": {
   "maintainers": [{"name": "Bob", "github": "bob", "githubId": 2}],
   "teams": [{"shortName": "Python Team!"}]}},
 "orphan": {"name": "orphan-1", "meta": {}},
 "marked": {"name": "marked-0.1", "meta": {"maintainers": [{"name": "Carol", "github": "carol", "githubId": 3}]}}
}}`

func testIndex(t *testing.T) *nixpkgs.Index {
	t.Helper()
	ix, err := nixpkgs.Read(strings.NewReader(indexJSON), "test")
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestFromDetection(t *testing.T) {
	js := sampleJobsets()[0]
	since := t0.Add(-20 * 24 * time.Hour)
	res := failures.Result{Failures: []failures.Failure{
		{Attr: "hello", Systems: []string{"x86_64-linux", "aarch64-linux"}, FailingSince: since, PerSystem: []failures.SystemFailure{
			{System: "x86_64-linux", Job: "hello.x86_64-linux", Build: 11, FirstFailingEval: 103, FailingSince: since.Add(time.Hour),
				LastSuccess: &failures.BuildRef{Build: 9, Eval: 102}},
			{System: "aarch64-linux", Job: "hello.aarch64-linux", Build: 12, FirstFailingEval: 101, FailingSince: since,
				LastSuccess: &failures.BuildRef{Build: 8, Eval: 100}},
		}},
		{Attr: "python313Packages.requests", Systems: []string{"x86_64-linux"}, FailingSince: since, PerSystem: []failures.SystemFailure{
			{System: "x86_64-linux", Job: "python313Packages.requests.x86_64-linux", Build: 13, FirstFailingEval: 101,
				LastSuccess: &failures.BuildRef{Eval: 99}}, // evaluation 99's revision is not known
		}},
		{Attr: "orphan", Systems: []string{"x86_64-linux"}, PerSystem: []failures.SystemFailure{{System: "x86_64-linux", Build: 14, FirstFailingEval: 90}}},
		{Attr: "notindexed", Systems: []string{"x86_64-linux"}},
	}}
	revs := map[int64]string{100: goodRev, 101: badRev, 102: strings.Repeat("4", 40), 103: strings.Repeat("5", 40)}
	got := FromDetection(js, res, testIndex(t), revs)
	if len(got) != 4 {
		t.Fatalf("%d failures", len(got))
	}
	hello := got[0]
	if hello.Jobset != "nixpkgs/unstable" || hello.Name != "hello-2.12.1" || !hello.Since.Equal(since) ||
		strings.Join(hello.Maintainers, ",") != "alice" || strings.Join(hello.Teams, ",") != "gnome" {
		t.Errorf("%+v", hello)
	}
	if len(hello.Builds) != 2 || hello.Builds[0].BuildURL != "https://hydra.nixos.org/build/11" ||
		hello.Builds[1].LogURL != "https://hydra.nixos.org/build/12/log" || hello.Builds[0].Job != "hello.x86_64-linux" {
		t.Errorf("%+v", hello.Builds)
	}
	// The range of the system that failed first (aarch64-linux: 100…101).
	if r := hello.BrokeBetween; r == nil || r.Good != goodRev || r.Bad != badRev || r.Commits != -1 {
		t.Errorf("range %+v", r)
	}
	if got[1].BrokeBetween != nil {
		t.Errorf("a range with an unknown revision: %+v", got[1].BrokeBetween)
	}
	if strings.Join(got[1].Teams, ",") != "python-team" {
		t.Errorf("teams %v", got[1].Teams)
	}
	if got[2].BrokeBetween != nil || got[2].Maintainers != nil || got[2].Name != "orphan-1" {
		t.Errorf("%+v", got[2])
	}
	if got[3].Name != "" || got[3].Maintainers != nil {
		t.Errorf("%+v", got[3])
	}
	if none := FromDetection(js, res, nil, nil); none[0].BrokeBetween != nil || none[0].Maintainers != nil {
		t.Errorf("%+v", none[0])
	}
}

func TestPeople(t *testing.T) {
	ms, ts := People(testIndex(t))
	var logins []string
	for _, m := range ms {
		logins = append(logins, m.Login+"="+m.Name)
	}
	if strings.Join(logins, " ") != "alice=Alice bob=Bob carol=Carol" {
		t.Errorf("maintainers %v", logins)
	}
	if len(ts) != 2 || ts[0].Slug != "gnome" || ts[0].Name != "GNOME" || strings.Join(ts[0].Members, ",") != "bob" || ts[1].Slug != "python-team" {
		t.Errorf("teams %+v", ts)
	}
}

func TestFromState(t *testing.T) {
	site := &Site{Generated: t0, BaseURL: "https://example.org/", Jobsets: sampleJobsets()[:2]}
	site.Failures = []Failure{
		{Jobset: "nixpkgs/unstable", Attr: "hello", Systems: []string{"x86_64-linux"}},
		{Jobset: "nixpkgs/staging-next", Attr: "hello", Systems: []string{"x86_64-linux"}},
		{Jobset: "nixpkgs/unstable", Attr: "python313Packages.requests"},
		{Jobset: "nixpkgs/unstable", Attr: "haskellPackages.elm"},
	}
	st := State{
		Refusals: map[string]string{"haskellPackages.elm": "refused (build 9, 2026-11-01): cabal2nix output", "hello": "already-broken"},
		RepoURL:  "https://github.com/NixOS/nixpkgs/",
		Markers: []state.Marker{
			{ID: 1, Attr: "hello", State: state.Proposed, PR: 10},
			{ID: 2, Attr: "marked", Attrs: []string{"marked", "marked2"}, State: state.Merged, PR: 11, Systems: []string{"aarch64-darwin"},
				Since: t0.Add(-time.Hour), BuildURL: "https://hydra.nixos.org/build/77"},
			{ID: 3, Attr: "python313Packages.requests", State: state.Reverting, PR: 12, RevertPR: 13},
			{ID: 4, Attr: "old", State: state.Reverted, PR: 5},
		},
		Probes: map[int64][]state.Probe{
			2: {{System: "aarch64-darwin", OK: false, At: t0}},
			3: {{System: "x86_64-linux", OK: true, At: t0.Add(time.Hour)}, {System: "aarch64-linux", OK: false, At: t0}},
		},
		PRs: []state.PR{{Number: 10, State: state.PROpen}, {Number: 11, State: state.PRMerged}, {Number: 13, State: state.PROpen}},
	}
	FromState(site, st, testIndex(t))
	if err := site.Validate(); err != nil {
		t.Fatal(err)
	}
	by := map[string]*Failure{}
	for i := range site.Failures {
		by[site.Failures[i].Jobset+" "+site.Failures[i].Attr] = &site.Failures[i]
	}
	hello := by["nixpkgs/unstable hello"]
	if hello.Marker == nil || hello.Marker.State != "proposed" || hello.PR == nil ||
		*hello.PR != (PRRef{Number: 10, URL: "https://github.com/NixOS/nixpkgs/pull/10", Kind: "mark", State: "open"}) {
		t.Errorf("hello: %+v %+v", hello.Marker, hello.PR)
	}
	if elm := by["nixpkgs/unstable haskellPackages.elm"]; elm.Refused != "refused (build 9, 2026-11-01): cabal2nix output" || elm.Marker != nil {
		t.Errorf("haskellPackages.elm: refused %q, marker %+v", elm.Refused, elm.Marker)
	}
	if hello.Refused != "" {
		t.Errorf("hello has a marker, yet shows a refusal: %q", hello.Refused)
	}
	if by["nixpkgs/staging-next hello"].Marker == nil {
		t.Error("the marker is not on staging-next's failure")
	}
	req := by["nixpkgs/unstable python313Packages.requests"]
	if req.PR == nil || req.PR.Number != 13 || req.PR.Kind != "unmark" || req.Marker.ProbeResult != "builds on x86_64-linux; still fails on aarch64-linux" ||
		!req.Marker.LastProbe.Equal(t0.Add(time.Hour)) {
		t.Errorf("requests: %+v %+v", req.PR, req.Marker)
	}
	// The merged marker's packages: on the marking jobset only, both
	// attributes, with the marker's systems, since and build.
	for _, a := range []string{"marked", "marked2"} {
		m := by["nixpkgs/unstable "+a]
		if m == nil {
			t.Fatalf("%s not added", a)
		}
		if m.Marker.State != "merged" || m.PR.State != "merged" || !m.Since.Equal(t0.Add(-time.Hour)) ||
			strings.Join(m.Systems, ",") != "aarch64-darwin" || len(m.Builds) != 1 || m.Builds[0].System != "aarch64-darwin" {
			t.Errorf("%s: %+v", a, m)
		}
		if by["nixpkgs/staging-next "+a] != nil {
			t.Errorf("%s added to a reporting jobset", a)
		}
	}
	if by["nixpkgs/unstable marked"].Maintainers[0] != "carol" {
		t.Error("the marked package has no maintainers")
	}
	if by["nixpkgs/unstable old"] != nil {
		t.Error("a reverted marker's package was added")
	}
	// Such a package renders, with its build.
	v := newView(site)
	b, err := v.ownerPage(v.byLogin["carol"])
	if err != nil || !strings.Contains(string(b), `<a class="build" href="https://hydra.nixos.org/build/77">aarch64-darwin</a>`) {
		t.Errorf("%v\n%s", err, b)
	}
}
